using System.Management.Automation;
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
            cmdlet.WriteWarning($"{result.Server} round {result.Round}: {failure.Message}");
        }

        if (result.ClientResults.Count == 0)
        {
            cmdlet.WriteWarning($"{result.Server} round {result.Round}: no client update was aggregated; the global model is unchanged.");
        }
    }
}
