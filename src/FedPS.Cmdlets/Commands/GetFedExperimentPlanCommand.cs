using System.Management.Automation;
using FedPS.Core.Experiments;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.Get, "FedExperimentPlan")]
[OutputType(typeof(PlannedRun))]
public sealed class GetFedExperimentPlanCommand : FedCmdlet
{
    /// <summary>A YAML file or a hashtable.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object Config { get; set; } = null!;

    [Parameter]
    public SwitchParameter Force { get; set; }

    // One WriteObject per run: WriteObject(collection, enumerateCollection: true) collects the whole collection first,
    // and a plan of many runs must print as it is made instead of being held in memory.
    protected override void Process() => ProcessItem(Config, () =>
    {
        foreach (var run in ConfigParameter.Read(this, Config).Runs(ExperimentConfig.DefaultMaxRuns, Force))
        {
            WriteObject(run);
        }
    });
}
