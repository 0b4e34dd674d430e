using System.Collections;
using System.Globalization;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Cmdlets.Formatting;
using FedPS.Core;
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
    [ArgumentCompleter(typeof(StoredRunNameCompleter))]
    public string[] Name { get; set; } = ["*"];

    [Parameter]
    [ArgumentCompleter(typeof(StoredExperimentCompleter))]
    public string? Experiment { get; set; }

    /// <summary>The run states wanted; PowerShell completes and checks them (an enum).</summary>
    [Parameter]
    public RunStatus[]? Status { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public string[]? Strategy { get; set; }

    /// <summary>Settings that must match: @{ 'optimizer.learningRate' = 0.1; seed = 1 } (config paths or swept parameters).</summary>
    [Parameter]
    public Hashtable? Filter { get; set; }

    protected override void Process() => ProcessItem(Database, Read);

    private void Read()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Database);
        var stored = ResultsStore.OpenExisting(path).GetRuns(Experiment);
        CheckFilter(stored, path);
        var patterns = Name.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        var runs = stored
            .Where(r => patterns.Any(p => p.IsMatch(r.Name)))
            .Where(r => Status is null || Status.Contains(r.Status))
            .Where(r => Strategy is null || Strategy.Contains(r.Strategy, StringComparer.OrdinalIgnoreCase))
            .Where(Matches)
            .ToArray();
        WriteVerbose($"{runs.Length} of the {stored.Count} runs{(Experiment is null ? string.Empty : $" of experiment '{Experiment}'")} in {path} match.");
        var view = SweepView.ForRuns(this, runs.SelectMany(r => r.Parameters));
        foreach (var run in runs)
        {
            WriteObject(view.Tag(run));
        }
    }

    /// <summary>A -Filter key no run of the store knows (neither swept nor a setting) is a mistake, not an empty result.</summary>
    private void CheckFilter(IReadOnlyList<FedRun> stored, string path)
    {
        foreach (var key in Filter?.Keys.Cast<object>().Select(k => Convert.ToString(k, CultureInfo.InvariantCulture)!) ?? [])
        {
            if (stored.Count > 0 && !stored.Any(r => r.Parameters.ContainsKey(key) || r.ConfigValue(key) is not null))
            {
                var swept = stored.SelectMany(r => r.Parameters.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"-Filter: no run in {path} has a swept parameter or setting '{key}'. " +
                    $"{(swept.Length == 0 ? "Nothing was swept" : $"Swept: {string.Join(", ", swept)}")}; settings are config paths such as " +
                    "rounds, clients, optimizer.learningRate, strategy.name.", key);
            }
        }
    }

    private bool Matches(FedRun run) =>
        Filter is null || Filter.Keys.Cast<object>().All(key =>
        {
            var name = key.ToString()!;
            var actual = run.Parameters.GetValueOrDefault(name) ?? run.ConfigValue(name);
            var wanted = LanguagePrimitives.ConvertTo<string>(Filter[key]);
            return actual is not null && (string.Equals(actual, wanted, StringComparison.OrdinalIgnoreCase) ||
                                          (double.TryParse(actual, CultureInfo.InvariantCulture, out var a) &&
                                           double.TryParse(wanted, CultureInfo.InvariantCulture, out var b) && a == b));
        });
}
