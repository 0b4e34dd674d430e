using FedPS.Core.Models;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// Coordinate-wise median (Yin, Chen, Ramchandran, Bartlett 2018, "Byzantine-Robust Distributed Learning: Towards
/// Optimal Statistical Rates", Definition 1): every coordinate of the new global model is the median of the
/// clients' values, θ_j ← med{x_1,j, …, x_n,j}; for an even n, the mean of the two middle values (as numpy's median,
/// which Flower's FedMedian uses). Unweighted. It is the trimmed mean of <see cref="FedTrimmedAvg"/> with
/// k = ⌊(n − 1)/2⌋ values cut from each end, and is computed as such.
/// </summary>
public sealed class FedMedian() : FederatedStrategy(nameof(FedMedian))
{
    public override ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures) =>
        FedTrimmedAvg.TrimmedMean(results, (results.Count - 1) / 2);
}
