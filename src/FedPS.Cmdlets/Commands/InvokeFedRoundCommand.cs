using System.Diagnostics;
using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsLifecycle.Invoke, "FedRound")]
[OutputType(typeof(RoundResult))]
public sealed class InvokeFedRoundCommand : FedCmdlet
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
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
        var clock = Stopwatch.StartNew();
        var progress = new Progress(this, first, last, clock);
        for (var i = 0; i < Count; i++)
        {
            progress.Round(Server.Round + 1);
            WriteObject(Server.RunRound(progress, stop.Token));
        }

        progress.Complete();
    }

    protected override void StopProcessing() => stop.Cancel();

    /// <summary>Nested Write-Progress: rounds, then the clients of the current round (throttled).</summary>
    private sealed class Progress(InvokeFedRoundCommand cmdlet, int first, int last, Stopwatch clock) : IProgress<RoundProgress>
    {
        private const int RoundsId = 1;
        private const int ClientsId = 2;
        private TimeSpan lastReport = -ProgressInterval;

        public void Round(int round)
        {
            var done = round - first;
            cmdlet.WriteProgress(new ProgressRecord(RoundsId, "Federated rounds", $"Round {round} of {last}")
            {
                PercentComplete = 100 * done / (last - first + 1),
            });
        }

        public void Report(RoundProgress value)
        {
            if (clock.Elapsed - lastReport < ProgressInterval && value.Step != value.Steps)
            {
                return;
            }

            lastReport = clock.Elapsed;
            cmdlet.WriteProgress(new ProgressRecord(ClientsId, $"Round {value.Round}: local training",
                $"Client {value.ClientId} ({value.ClientIndex + 1} of {value.ClientCount}), step {value.Step} of {value.Steps}")
            {
                ParentActivityId = RoundsId,
                PercentComplete = 100 * ((value.ClientIndex * value.Steps) + value.Step) / (value.ClientCount * value.Steps),
            });
        }

        public void Complete()
        {
            cmdlet.WriteProgress(new ProgressRecord(ClientsId, "Local training", "Done") { ParentActivityId = RoundsId, RecordType = ProgressRecordType.Completed });
            cmdlet.WriteProgress(new ProgressRecord(RoundsId, "Federated rounds", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
