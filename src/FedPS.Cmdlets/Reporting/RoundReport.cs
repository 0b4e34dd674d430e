using System.Management.Automation;
using FedPS.Core.Federation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Reporting;

/// <summary>What a completed round tells the user beyond its result object: verbose lines and warnings.</summary>
internal static class RoundReport
{
    public static void Write(Cmdlet cmdlet, RoundResult result)
    {
        cmdlet.WriteVerbose(FormattableString.Invariant(
            $"{result.Server} round {result.Round} ({result.Strategy}): {result.ClientResults.Count} of {result.SampledClients.Length} sampled clients aggregated, train loss {result.TrainLoss:F4}, test loss {result.TestLoss:F4}, accuracy {result.TestAccuracy:P2}, {(result.BytesUp + result.BytesDown) / 1e6:F2} MB, {result.Duration.TotalSeconds:F2} s."));
        foreach (var failure in result.Failures)
        {
            // Unavailable and late clients are what an availability simulation asks for: told, not warned about.
            if (failure.Reason is FailureReason.Unavailable or FailureReason.Deadline)
            {
                cmdlet.WriteVerbose($"{result.Server} round {result.Round}: {failure.Message}");
            }
            else
            {
                cmdlet.WriteWarning($"{result.Server} round {result.Round}: {failure.Message}");
            }
        }

        if (result.Metrics.Count > 0)
        {
            cmdlet.WriteVerbose($"{result.Server} round {result.Round} metrics: " +
                                string.Join(", ", result.Metrics.Select(m => FormattableString.Invariant($"{m.Key} {m.Value:G4}"))) + ".");
        }

        if (result.ClientResults.Count == 0)
        {
            cmdlet.WriteWarning($"{result.Server} round {result.Round}: no client update was aggregated; the global model is unchanged.");
        }
    }
}
