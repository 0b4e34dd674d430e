using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>FedTrimmedAvg's knobs.</summary>
public sealed record FedTrimmedAvgOptions : StrategyOptions
{
    /// <summary>β ∈ [0, 0.5): the fraction of values cut from each end of every coordinate.</summary>
    public double Beta { get; init; } = 0.2;

    public override StrategyOptions Validated()
    {
        Require(Beta is >= 0 and < 0.5, nameof(Beta), Beta, "in [0, 0.5)");
        return this;
    }
}

/// <summary>
/// Coordinate-wise trimmed mean (Yin, Chen, Ramchandran, Bartlett 2018, "Byzantine-Robust Distributed Learning:
/// Towards Optimal Statistical Rates", Definition 2): for every coordinate, sort the n clients' values, drop the
/// k = ⌊β·n⌋ smallest and the k largest, and average the n − 2k that remain,
/// <code>  θ_j ← 1/(n − 2k) · Σ_{i=k+1}^{n−k} x_(i),j  </code>
/// Unweighted, as in the paper (and Flower's FedTrimmedAvg): a client's sample count must not buy it influence.
/// β = 0 is the plain mean; <see cref="FedMedian"/> is the same rule with k = ⌊(n − 1)/2⌋.
/// </summary>
public sealed class FedTrimmedAvg(FedTrimmedAvgOptions options) : FederatedStrategy(nameof(FedTrimmedAvg))
{
    public FedTrimmedAvgOptions Options { get; } = (FedTrimmedAvgOptions)options.Validated();

    public override ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures) =>
        TrimmedMean(results, (int)Math.Floor(Options.Beta * results.Count));

    /// <summary>For every coordinate, the mean of the clients' values without the <paramref name="trim"/> smallest and largest.</summary>
    public static ParameterSet TrimmedMean(IReadOnlyList<ClientUpdate> results, int trim)
    {
        var n = results.Count;
        if (n - (2 * trim) < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidOperation, $"Cannot trim {trim} values from each end of {n} updates.", n);
        }

        var first = results[0].Parameters;
        foreach (var update in results.Skip(1))
        {
            first.EnsureLike(update.Parameters, $"combine client {update.ClientId}'s update");
        }

        return first.Map((name, _) =>
        {
            using var scope = NewDisposeScope();
            var sorted = stack(results.Select(u => u.Parameters[name]).ToArray()).sort(dim: 0).Values;
            return sorted.narrow(0, trim, n - (2 * trim)).mean([0]).MoveToOuterDisposeScope();
        });
    }

    public override string ToString() => FormattableString.Invariant($"FedTrimmedAvg(beta={Options.Beta})");
}
