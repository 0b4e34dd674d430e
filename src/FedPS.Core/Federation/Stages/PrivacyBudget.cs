namespace FedPS.Core.Federation.Stages;

/// <summary>
/// An (ε, δ) guarantee of the subsampled Gaussian mechanism run for a number of rounds, as the accountant computes it
/// (<see cref="RdpAccountant"/>): what Measure-FedPrivacy returns.
/// </summary>
public sealed record PrivacyBudget(double SampleRate, double NoiseMultiplier, long Rounds, double Delta, double Epsilon, double Order)
{
    /// <summary>How the RDP was turned into (ε, δ).</summary>
    public string Conversion => RdpAccountant.Conversion;

    /// <summary>ε at δ of <paramref name="rounds"/> rounds with rate q and multiplier z.</summary>
    public static PrivacyBudget ForNoise(double sampleRate, double noiseMultiplier, long rounds, double delta, IReadOnlyList<double>? orders = null)
    {
        var (epsilon, order) = RdpAccountant.Epsilon(sampleRate, noiseMultiplier, rounds, delta, orders);
        return new PrivacyBudget(sampleRate, noiseMultiplier, rounds, delta, epsilon, order);
    }

    /// <summary>The smallest noise multiplier whose ε after <paramref name="rounds"/> rounds is at most <paramref name="targetEpsilon"/>, and the ε it gives.</summary>
    public static PrivacyBudget ForEpsilon(double sampleRate, double targetEpsilon, long rounds, double delta, IReadOnlyList<double>? orders = null) =>
        ForNoise(sampleRate, RdpAccountant.NoiseMultiplier(targetEpsilon, sampleRate, rounds, delta, orders), rounds, delta, orders);
}
