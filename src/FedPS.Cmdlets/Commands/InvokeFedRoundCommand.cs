using System.Management.Automation;
using FedPS.Cmdlets.Formatting;
using FedPS.Cmdlets.Reporting;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// Runs whole rounds: the one-liner over the round's stages (Start-FedRound, Invoke-FedLocalTraining,
/// Complete-FedRound), which it runs in the same order on the same engine, so both give the same numbers.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "FedRound")]
[OutputType(typeof(RoundResult))]
public sealed class InvokeFedRoundCommand : FedCmdlet
{
    private readonly CancellationTokenSource stop = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = 1;

    // One server's failure (a diverging client, a failed aggregation, a full disk) does not stop the others in the pipeline.
    protected override void Process() => ProcessItem(Server, () =>
    {
        var first = Server.Round + 1;
        var last = Server.Round + Count;
        var progress = new RoundProgressWriter(this, first, last);
        try
        {
            for (var i = 0; i < Count; i++)
            {
                progress.Round(Server.Round + 1);
                var result = Server.RunRound(progress, stop.Token);
                RoundReport.Write(this, result);
                WriteObject(LanguageModelView.Tag(result));
            }
        }
        finally
        {
            progress.Complete();
        }
    });

    protected override void StopProcessing() => stop.Cancel();
}
