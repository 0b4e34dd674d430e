using System.Globalization;
using FedPS.Core.Models;
using FedPS.Core.Primitives;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Central client-level differential privacy, DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning
/// Differentially Private Recurrent Language Models", Algorithm 1 with uniform client weights and the fixed-denominator
/// estimator; TFF's DifferentiallyPrivateFactory.gaussian_fixed). With θ the global model, S the clipping norm, z the
/// noise multiplier and n the number of clients the round sampled:
/// <code>
///   Δₖ = θₖ − θ,   Δ̂ₖ = Δₖ · min(1, S / ‖Δₖ‖₂)              for each client k whose update arrived
///   Δ̄ = (1/n) Σₖ Δ̂ₖ + N(0, σ² I),   σ = z·S / n
///   θ̃ = θ + Δ̄                                                the round's mean; the strategy steps from it
/// </code>
/// The weighting is exact and deliberate: every client counts once (not by its sample count, which would let one
/// client move the sum by more than S) and the denominator is n, the number sampled, not the number that arrived (so
/// the denominator does not depend on who took part). Σₖ Δ̂ₖ then changes by at most S when one client is added or
/// removed, and N(0, (zS)²) on the sum — z·S/n on the mean — is the Gaussian mechanism with multiplier z. The noise
/// goes between the mean and the strategy's server step, so FedAdam and FedYogi step on a privatized
/// pseudo-gradient θ̃ − θ. Under <see cref="PrivacyOptions.AdaptiveClip"/>, S follows a quantile of the update norms
/// (<see cref="AdaptiveClipping"/>) and the updates are noised at z_Δ ≥ z so the whole round still spends z.
/// <para>
/// After every round the <see cref="RdpAccountant"/> composes one subsampled Gaussian mechanism with q = n/N (N
/// clients) and multiplier z, and the round reports ε at <see cref="PrivacyOptions.TargetDelta"/>. The Poisson
/// analysis treats each round's cohort as drawn independently with probability q; FedPS draws exactly n clients
/// without replacement, which is the standard approximation of DP-FedAvg practice (TFF, TF Privacy tutorials), not a
/// proof for fixed-size cohorts.
/// </para>
/// </summary>
public sealed class DpFedAvg : RoundStage
{
    private readonly PrivacyOptions options;
    private double clipNorm;
    private int rounds;
    private double countStddev;
    private double[] stepRdp = [];
    private (int Unclipped, int Arrived)? pending;

    public DpFedAvg(PrivacyOptions options)
        : base("privacy", 900)
    {
        this.options = (PrivacyOptions)options.Validated();
        clipNorm = this.options.ClipNorm;
    }

    public PrivacyOptions Options => options;

    /// <summary>S: the clipping norm the next round uses.</summary>
    public double ClipNorm => clipNorm;

    /// <summary>q = n/N: the share of clients a round samples.</summary>
    public double SampleRate { get; private set; }

    /// <summary>z_Δ: the multiplier of the noise on the updates (z, or more under adaptive clipping).</summary>
    public double ValueNoiseMultiplier { get; private set; }

    /// <summary>Rounds composed so far.</summary>
    public int Rounds => rounds;

    public override void Initialize(StageSetup setup)
    {
        if (!setup.Strategy.AveragesModels)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Central differential privacy privatizes the mean of the clients' models, but {setup.Strategy.Name} does not aggregate through it. " +
                "Use FedAvg, FedProx, FedAdagrad, FedAdam, FedYogi, FedSophia or FedIT, or local DP (New-FedPrivacy -Mode Local).", setup.Strategy.Name);
        }

        SampleRate = (double)setup.ClientsPerRound / setup.Clients.Count;
        countStddev = AdaptiveClipping.CountStddev(options, setup.ClientsPerRound);
        ValueNoiseMultiplier = options.AdaptiveClip ? AdaptiveClipping.ValueNoiseMultiplier(options.NoiseMultiplier, countStddev) : options.NoiseMultiplier;
        stepRdp = RdpAccountant.StepRdp(SampleRate, options.NoiseMultiplier, RdpAccountant.DefaultOrders);
        clipNorm = options.ClipNorm;
        rounds = 0;
    }

    public override RoundMean BeginMean(RoundContext round, ParameterSet global) => new PrivateMean(this, round, global);

    /// <summary>ε at δ after <paramref name="count"/> rounds, and the RDP order that gives it.</summary>
    public (double Epsilon, double Order) Epsilon(int count) =>
        RdpAccountant.ToEpsilon(RdpAccountant.DefaultOrders, stepRdp.Select(r => r * count).ToArray(), options.TargetDelta);

    public override void CompleteRound(RoundContext round, IDictionary<string, double> metrics)
    {
        var used = clipNorm;
        var (unclipped, arrived) = pending ?? (0, 0);
        if (options.AdaptiveClip)
        {
            var noise = countStddev == 0 ? 0 : GaussianNoise.Scalar(countStddev, SeedSequence.Derive(round.Seed, round.Number, (long)SeedPurpose.ClipCount));
            var fraction = AdaptiveClipping.UnclippedFraction(unclipped, arrived, round.SampledCount, noise);
            clipNorm = AdaptiveClipping.Next(clipNorm, fraction, options.TargetQuantile, options.ClipLearningRate);
        }

        rounds++;
        pending = null;
        metrics["epsilon"] = Epsilon(rounds).Epsilon;
        metrics["delta"] = options.TargetDelta;
        metrics["clipNorm"] = used;
        if (arrived > 0)
        {
            metrics["unclippedFraction"] = (double)unclipped / arrived;
        }
    }

    public override void AbandonRound(RoundContext round) => pending = null;

    public override void SaveState(StrategyState state)
    {
        state.Add("clipNorm", tensor(clipNorm, ScalarType.Float64));
        state.Add("rounds", tensor((long)rounds, ScalarType.Int64));
    }

    public override void LoadState(StrategyState state)
    {
        clipNorm = state.Get("clipNorm").item<double>();
        rounds = (int)state.Get("rounds").item<long>();
        pending = null;
    }

    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"DP-FedAvg z={options.NoiseMultiplier}, S={clipNorm:G4}{(options.AdaptiveClip ? $" (adaptive, γ={options.TargetQuantile})" : string.Empty)}, δ={options.TargetDelta}");

    /// <summary>The clipped, unweighted, noised mean of one round (see the class comment).</summary>
    private sealed class PrivateMean(DpFedAvg stage, RoundContext round, ParameterSet global) : RoundMean
    {
        private readonly RunningAverage sum = new();
        private int unclipped;
        private int arrived;

        public override void Add(ClientUpdate update)
        {
            using var delta = update.Parameters.Subtract(global);
            var norm = delta.Norm();
            if (norm <= stage.clipNorm)
            {
                unclipped++;
            }

            arrived++;
            sum.Add(delta, UpdateClipping.Factor(norm, stage.clipNorm));
        }

        public override ParameterSet Mean()
        {
            var sampled = round.SampledCount;
            using var meanDelta = sum.MeanOver(sampled);
            var std = stage.ValueNoiseMultiplier * stage.clipNorm / sampled;
            using var noise = std == 0 ? null : GaussianNoise.Like(global, std, SeedSequence.Derive(round.Seed, round.Number, (long)SeedPurpose.PrivacyNoise));
            stage.pending = (unclipped, arrived);
            return global.Map((name, theta) => noise is null ? theta.add(meanDelta[name]) : theta.add(meanDelta[name]).add_(noise[name]));
        }

        public override void Dispose()
        {
            sum.Dispose();
            base.Dispose();
        }
    }
}
