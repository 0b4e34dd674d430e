using System.Globalization;
using FedPS.Core.Primitives;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Local differential privacy: each client privatizes its own update before it leaves the device, by the Gaussian
/// mechanism (Dwork and Roth 2014, "The Algorithmic Foundations of Differential Privacy", Appendix A) on its clipped
/// update:
/// <code>
///   Δ̂ = Δ · min(1, S / ‖Δ‖₂) + N(0, (z·S)² I)
/// </code>
/// Any two updates a client could send differ by at most 2S once clipped, so one report is the Gaussian mechanism with
/// multiplier z/2 against whoever sees it, the server included: RDP α·2/z² at order α (Mironov 2017, Proposition 7,
/// with sensitivity 2S). A client's reports compose over the rounds it takes part in, without amplification by
/// sampling (the server knows who took part). Each round reports <c>localEpsilon</c>: ε at δ for a client that took
/// part in every round so far, a bound for every client.
/// </summary>
public sealed class LocalPrivacy : RoundStage
{
    private readonly PrivacyOptions options;
    private readonly double[] stepRdp;

    public LocalPrivacy(PrivacyOptions options, IEnumerable<int>? clients = null)
        : base("localPrivacy", 200, clients)
    {
        this.options = (PrivacyOptions)options.Validated();
        stepRdp = RdpAccountant.StepRdp(1, this.options.NoiseMultiplier / 2, RdpAccountant.DefaultOrders);
    }

    public PrivacyOptions Options => options;

    /// <summary>ε at δ for a client that took part in <paramref name="rounds"/> rounds.</summary>
    public double Epsilon(int rounds) =>
        RdpAccountant.ToEpsilon(RdpAccountant.DefaultOrders, stepRdp.Select(r => r * rounds).ToArray(), options.TargetDelta).Epsilon;

    public override ClientUpdate Transform(ClientUpdate update, long seed, int round)
    {
        using var delta = update.Delta();
        var (clipped, _) = UpdateClipping.Clip(delta, options.ClipNorm);
        if (options.NoiseMultiplier > 0)
        {
            using var noise = GaussianNoise.Like(clipped, options.NoiseMultiplier * options.ClipNorm,
                SeedSequence.Derive(seed, round, update.ClientId, (long)SeedPurpose.LocalPrivacy));
            foreach (var (name, value) in clipped.Tensors)
            {
                value.add_(noise[name]);
            }
        }

        return update.WithDelta(clipped);
    }

    /// <summary>Reports localEpsilon (the largest, when clients carry different local DP options).</summary>
    public override void CompleteRound(RoundContext round, IDictionary<string, double> metrics) =>
        metrics["localEpsilon"] = Math.Max(Epsilon(round.Number), metrics.TryGetValue("localEpsilon", out var other) ? other : 0);

    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"local DP z={options.NoiseMultiplier}, S={options.ClipNorm}, δ={options.TargetDelta}");
}
