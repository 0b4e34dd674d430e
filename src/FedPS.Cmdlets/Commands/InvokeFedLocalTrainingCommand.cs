using System.Management.Automation;
using FedPS.Cmdlets.Reporting;
using FedPS.Core;
using FedPS.Core.Federation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// The second stage of a round: trains each piped client assignment and emits its update as soon as it is trained
/// (so the next stage can take it at once). A client whose training diverges is dropped with a warning under
/// -OnDivergence Continue, and stops the round under Stop.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "FedLocalTraining")]
[OutputType(typeof(ClientUpdate))]
public sealed class InvokeFedLocalTrainingCommand : FedCmdlet
{
    private readonly CancellationTokenSource stop = new();
    private RoundProgressWriter? progress;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public ClientAssignment Assignment { get; set; } = null!;

    protected override void Process() => ProcessItem(Assignment, () =>
    {
        var round = FedRound.Of(Assignment.Round);
        progress ??= new RoundProgressWriter(this, round.Number, round.Number);
        progress.Round(round.Number);
        var update = round.Train(Assignment, progress, stop.Token);
        if (update is null)
        {
            var failure = round.Failures.Last(f => f.ClientId == Assignment.ClientId);
            if (failure.Reason == FailureReason.Deadline)
            {
                WriteVerbose(failure.Message); // a straggler is part of the simulation, not a problem
            }
            else
            {
                WriteWarning(failure.Message);
            }

            return;
        }

        WriteVerbose(FormattableString.Invariant(
            $"Client {update.ClientId} trained {update.Steps} steps in round {round.Number}: loss {update.TrainLoss:F4}, update norm {update.UpdateNorm:G4}."));
        WriteObject(update);
    });

    protected override void End() => progress?.Complete();

    protected override void StopProcessing() => stop.Cancel();
}
