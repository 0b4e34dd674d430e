using System.Management.Automation;
using FedPS.Core;
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

    protected override void Process()
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
                WriteObject(result);
            }
        }
        catch (FedPSException ex)
        {
            // One server's failure (a diverging client, a failed aggregation) does not stop the others in the pipeline.
            WriteError(ToErrorRecord(ex));
        }
        finally
        {
            progress.Complete();
        }
    }

    protected override void StopProcessing() => stop.Cancel();
}
