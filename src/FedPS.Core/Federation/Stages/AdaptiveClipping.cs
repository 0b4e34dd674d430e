namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning with Adaptive
/// Clipping", geometric update; as TF Privacy's QuantileAdaptiveClipSumQuery and TFF's gaussian_adaptive): the clipping
/// norm S follows the γ-quantile of the update norms, estimated privately. With n clients sampled and bₖ = 1[‖Δₖ‖ ≤ S]
/// for each client that arrived,
/// <code>
///   b̃ = ( Σₖ (bₖ − ½) + N(0, σ_b²) ) / n + ½,   clamped to [0, 1]     (the noised unclipped fraction)
///   S ← S · exp(−η_C (b̃ − γ))
///   z_Δ = ( z⁻² − (2σ_b)⁻² )^(−½)                                    (Theorem 1)
/// </code>
/// The centred count has sensitivity ½, so it is a Gaussian mechanism with multiplier 2σ_b; with the updates noised at
/// z_Δ the two together are one Gaussian mechanism with multiplier z, the one the accountant composes. It needs
/// 2σ_b &gt; z; σ_b defaults to 0.05·n.
/// </summary>
public static class AdaptiveClipping
{
    /// <summary>σ_b: the count noise, 0.05·n unless given.</summary>
    public static double CountStddev(PrivacyOptions options, int clientsPerRound) =>
        options.ClippedCountStddev ?? (0.05 * clientsPerRound);

    /// <summary>z_Δ, the multiplier for the updates' noise so that the updates and the count together spend z.</summary>
    public static double ValueNoiseMultiplier(double noiseMultiplier, double countStddev)
    {
        if (noiseMultiplier == 0)
        {
            return 0;
        }

        if (!(2 * countStddev > noiseMultiplier))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant(
                $"Adaptive clipping with NoiseMultiplier {noiseMultiplier} needs ClippedCountStddev above z/2 = {noiseMultiplier / 2} (got {countStddev}; the default is 0.05 × the clients sampled per round). Raise ClippedCountStddev, sample more clients, or lower NoiseMultiplier."), countStddev);
        }

        return Math.Pow(Math.Pow(noiseMultiplier, -2) - Math.Pow(2 * countStddev, -2), -0.5);
    }

    /// <summary>b̃: the noised fraction of unclipped updates, clamped to [0, 1].</summary>
    public static double UnclippedFraction(int unclipped, int arrived, int sampled, double countNoise) =>
        Math.Clamp(((unclipped - (0.5 * arrived) + countNoise) / sampled) + 0.5, 0, 1);

    /// <summary>S·exp(−η_C(b̃ − γ)).</summary>
    public static double Next(double clipNorm, double unclippedFraction, double targetQuantile, double learningRate) =>
        clipNorm * Math.Exp(-learningRate * (unclippedFraction - targetQuantile));
}
