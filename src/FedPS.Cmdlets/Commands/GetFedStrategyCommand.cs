using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Federation.Strategies;

namespace FedPS.Cmdlets.Commands;

/// <summary>The strategies FedPS knows (built-in and registered), with their knobs and defaults.</summary>
[Cmdlet(VerbsCommon.Get, "FedStrategy")]
[OutputType(typeof(StrategyDefinition))]
public sealed class GetFedStrategyCommand : FedCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public string[]? Name { get; set; }

    protected override void Process()
    {
        var patterns = (Name ?? ["*"]).Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (var name in (Name ?? []).Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !StrategyCatalog.Contains(n)))
        {
            WriteError(ErrorRecords.From(new FedPSException(FedErrorKind.ObjectNotFound,
                $"Unknown strategy '{name}'. Valid strategies: {string.Join(", ", StrategyCatalog.Names)}.", name), name));
        }

        WriteObject(StrategyCatalog.All.Where(d => patterns.Any(p => p.IsMatch(d.Name))), enumerateCollection: true);
    }
}
