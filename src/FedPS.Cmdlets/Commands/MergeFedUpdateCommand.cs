using System.Management.Automation;
using FedPS.Cmdlets.Binding;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A strategy's aggregation on its own: merges the piped updates against given global parameters and emits the new
/// global parameters, with no server, dataset or model — for checking an aggregation rule against numbers worked out
/// by hand. Pass the same strategy object again (New-FedServer style: a script instance) to carry a stateful rule
/// such as FedAdam's moments from one call to the next.
/// </summary>
[Cmdlet(VerbsData.Merge, "FedUpdate")]
[OutputType(typeof(ParameterSet))]
public sealed class MergeFedUpdateCommand : FedCmdlet
{
    private readonly List<ClientUpdate> updates = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate[] Update { get; set; } = [];

    /// <summary>The strategy whose aggregation to use: a spec, a name, or a strategy object.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public StrategySpec Strategy { get; set; } = new("FedAvg");

    /// <summary>The global parameters before the round (default: the first update's baseline, else zeros shaped like it).</summary>
    [Parameter]
    [ParameterSetTransformation]
    public ParameterSet? Global { get; set; }

    /// <summary>The round number the strategy sees (default 1).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Round { get; set; } = 1;

    protected override void Begin() => Strategy = Strategy.Validated();

    protected override void Process() => updates.AddRange(Update);

    protected override void End()
    {
        // A strategy object is used as it is, so its state carries from one call to the next; a spec makes a fresh one.
        var strategy = Strategy.Instance ?? Strategy.Create();
        try
        {
            if (strategy.IsInitialized && Global is not null)
            {
                WriteVerbose($"{strategy.Name} already holds global parameters from an earlier merge; -Global is ignored.");
            }

            var merged = StandaloneAggregation.Merge(strategy, updates, Global, Round);
            WriteVerbose($"{strategy.Name} merged {updates.Count} updates ({string.Join(", ", updates.Select(u => $"client {u.ClientId}"))}).");
            WriteObject(merged);
        }
        finally
        {
            if (Strategy.Instance is null)
            {
                strategy.Dispose();
            }
        }
    }
}
