using System.Collections;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Experiments;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.Get, "FedRun")]
[OutputType(typeof(FedRun))]
public sealed class GetFedRunCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Database { get; set; } = string.Empty;

    /// <summary>Run names, wildcards allowed.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    public string[] Name { get; set; } = ["*"];

    [Parameter]
    public string? Experiment { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(RunStatusCompleter))]
    public string[]? Status { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public string[]? Strategy { get; set; }

    /// <summary>Settings that must match: @{ 'optimizer.learningRate' = 0.1; seed = 1 } (config paths or swept parameters).</summary>
    [Parameter]
    public Hashtable? Filter { get; set; }

    protected override void Process() => ProcessItem(Database, Read);

    private void Read()
    {
        var patterns = Name.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        var runs = ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns(Experiment)
            .Where(r => patterns.Any(p => p.IsMatch(r.Name)))
            .Where(r => Status is null || Status.Contains(r.Status.ToText(), StringComparer.OrdinalIgnoreCase))
            .Where(r => Strategy is null || Strategy.Contains(r.Strategy, StringComparer.OrdinalIgnoreCase))
            .Where(Matches);
        WriteObject(runs, enumerateCollection: true);
    }

    private bool Matches(FedRun run) =>
        Filter is null || Filter.Keys.Cast<object>().All(key =>
        {
            var name = key.ToString()!;
            var actual = run.Parameters.GetValueOrDefault(name) ?? run.ConfigValue(name);
            var wanted = LanguagePrimitives.ConvertTo<string>(Filter[key]);
            return actual is not null && (string.Equals(actual, wanted, StringComparison.OrdinalIgnoreCase) ||
                                          (double.TryParse(actual, System.Globalization.CultureInfo.InvariantCulture, out var a) &&
                                           double.TryParse(wanted, System.Globalization.CultureInfo.InvariantCulture, out var b) && a == b));
        });
}
