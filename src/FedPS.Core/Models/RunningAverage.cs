using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// The weighted mean Σ wᵢ·setᵢ / Σ wᵢ of parameter sets, accumulated as they arrive: memory holds one running sum,
/// whatever the number of sets. Every averaging in FedPS (FedAvg and the strategies built on it, DONE's directions,
/// Mira's reference model) goes through this one type. Sums are kept at the sets' own precision, in arrival order,
/// so the same sets in the same order give bit-identical means.
/// </summary>
public sealed class RunningAverage : IDisposable
{
    private ParameterSet? sum;
    private double totalWeight;

    public int Count { get; private set; }

    public double TotalWeight => totalWeight;

    public void Add(ParameterSet set, double weight)
    {
        if (!(weight > 0) || !double.IsFinite(weight))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"An averaging weight must be positive and finite (got {weight})."), weight);
        }

        using var _ = no_grad();
        if (sum is null)
        {
            sum = set.Map((_, value) => value.mul(weight));
        }
        else
        {
            sum.EnsureLike(set, "average parameter sets of different layouts");
            for (var i = 0; i < sum.Tensors.Count; i++)
            {
                sum.Tensors[i].Value.add_(set.Tensors[i].Value, alpha: weight);
            }
        }

        totalWeight += weight;
        Count++;
    }

    /// <summary>The mean so far, as a new set the caller owns.</summary>
    public ParameterSet Mean() => MeanOver(totalWeight);

    /// <summary>
    /// Σ wᵢ·setᵢ / <paramref name="denominator"/>: the weighted sum over a denominator fixed in advance rather than
    /// Σ wᵢ (DP-FedAvg's fixed-denominator estimator), as a new set the caller owns.
    /// </summary>
    public ParameterSet MeanOver(double denominator)
    {
        if (sum is null)
        {
            throw new FedPSException(FedErrorKind.InvalidOperation, "There is nothing to average: no parameter set was added.");
        }

        if (!(denominator > 0) || !double.IsFinite(denominator))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"An averaging denominator must be positive and finite (got {denominator})."), denominator);
        }

        return sum.Map((_, value) => value.div(denominator));
    }

    /// <summary>The weighted mean of <paramref name="sets"/> in one call.</summary>
    public static ParameterSet Of(IReadOnlyList<ParameterSet> sets, IReadOnlyList<double> weights)
    {
        if (sets.Count != weights.Count)
        {
            throw new ArgumentException("need one weight per parameter set");
        }

        using var average = new RunningAverage();
        for (var i = 0; i < sets.Count; i++)
        {
            average.Add(sets[i], weights[i]);
        }

        return average.Mean();
    }

    public void Dispose() => sum?.Dispose();
}
