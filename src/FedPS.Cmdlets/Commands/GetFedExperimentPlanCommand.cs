using System.Management.Automation;
using FedPS.Cmdlets.Formatting;
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
        var config = ConfigParameter.Read(this, Config);
        var axes = config.Axes.Select(a => $"{a.Values.Count} {a.Label}").ToArray();
        WriteVerbose($"{config.Source}: {config.RunCount:N0} run(s){(axes.Length == 0 ? string.Empty : $" ({string.Join(" × ", axes)})")}.");
        var view = SweepView.ForPlan(this, config.SweptValues);
        foreach (var run in config.Runs(ExperimentConfig.DefaultMaxRuns, Force))
        {
            WriteObject(view.Tag(run));
        }
    });
}
