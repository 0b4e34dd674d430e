using System.Diagnostics;
using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Reporting;

/// <summary>Nested Write-Progress: rounds, then the clients of the current round (throttled).</summary>
internal sealed class RoundProgressWriter(Cmdlet cmdlet, int first, int last) : IProgress<RoundProgress>
{
    private const int RoundsId = 1;
    private const int ClientsId = 2;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan lastReport = -Interval;

    public void Round(int round) =>
        cmdlet.WriteProgress(new ProgressRecord(RoundsId, "Federated rounds", $"Round {round} of {last}")
        {
            PercentComplete = 100 * (round - first) / Math.Max(1, last - first + 1),
        });

    public void Report(RoundProgress value)
    {
        if (clock.Elapsed - lastReport < Interval && value.Step != value.Steps)
        {
            return;
        }

        lastReport = clock.Elapsed;
        cmdlet.WriteProgress(new ProgressRecord(ClientsId, $"Round {value.Round}: local training",
            $"Client {value.ClientId} ({value.ClientIndex + 1} of {value.ClientCount}), step {value.Step} of {value.Steps}")
        {
            ParentActivityId = RoundsId,
            PercentComplete = 100 * ((value.ClientIndex * value.Steps) + value.Step) / Math.Max(1, value.ClientCount * value.Steps),
        });
    }

    public void Complete()
    {
        cmdlet.WriteProgress(new ProgressRecord(ClientsId, "Local training", "Done") { ParentActivityId = RoundsId, RecordType = ProgressRecordType.Completed });
        cmdlet.WriteProgress(new ProgressRecord(RoundsId, "Federated rounds", "Done") { RecordType = ProgressRecordType.Completed });
    }
}
