using System.Text.Json.Serialization;

namespace FedPS.Core.Federation.Stages;

/// <summary>Where client-level differential privacy is applied.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrivacyMode>))] // by name in stored configs
public enum PrivacyMode
{
    /// <summary>The server clips each update, averages them unweighted and adds noise to the mean (<see cref="DpFedAvg"/>).</summary>
    Central,

    /// <summary>Each client clips its own update and adds noise before sending it (<see cref="LocalPrivacy"/>).</summary>
    Local,
}

/// <summary>Client-level differential privacy's knobs: one record for central DP (DP-FedAvg, adaptive clipping) and local DP.</summary>
public sealed record PrivacyOptions : StageOptions
{
    public PrivacyMode Mode { get; init; } = PrivacyMode.Central;

    /// <summary>S: the L2 norm every client update is clipped to (under adaptive clipping, its starting value).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>z: the noise's standard deviation over the clipping norm (z·S on the sum, z·S/n on the mean of n clients).</summary>
    public double NoiseMultiplier { get; init; } = 1.0;

    /// <summary>δ of the (ε, δ) guarantee the rounds report.</summary>
    public double TargetDelta { get; init; } = 1e-5;

    /// <summary>Adapt S each round towards the <see cref="TargetQuantile"/> of the update norms (central DP only).</summary>
    public bool AdaptiveClip { get; init; }

    /// <summary>γ: the fraction of updates adaptive clipping aims to leave unclipped.</summary>
    public double TargetQuantile { get; init; } = 0.5;

    /// <summary>η_C of adaptive clipping's geometric step S ← S·exp(−η_C(b̃ − γ)).</summary>
    public double ClipLearningRate { get; init; } = 0.2;

    /// <summary>σ_b: the noise on the count of unclipped updates; null: 0.05 × the clients sampled per round (as TFF).</summary>
    public double? ClippedCountStddev { get; init; }

    public override bool IsClientOption => Mode == PrivacyMode.Local;

    public override StageOptions Validated()
    {
        Require(PositiveFinite(ClipNorm), nameof(ClipNorm), ClipNorm, "positive and finite");
        Require(NoiseMultiplier >= 0 && double.IsFinite(NoiseMultiplier), nameof(NoiseMultiplier), NoiseMultiplier, "non-negative and finite");
        Require(TargetDelta is > 0 and < 1, nameof(TargetDelta), TargetDelta, "in (0, 1)");
        Require(TargetQuantile is >= 0 and <= 1, nameof(TargetQuantile), TargetQuantile, "in [0, 1]");
        Require(ClipLearningRate >= 0 && double.IsFinite(ClipLearningRate), nameof(ClipLearningRate), ClipLearningRate, "non-negative and finite");
        Require(ClippedCountStddev is null || (ClippedCountStddev >= 0 && double.IsFinite(ClippedCountStddev.Value)), nameof(ClippedCountStddev),
            ClippedCountStddev, "non-negative and finite");
        Require(!AdaptiveClip || Mode == PrivacyMode.Central, nameof(AdaptiveClip), AdaptiveClip,
            "false under local DP (adaptive clipping is the server's: it needs every client's clipped count)");
        return this;
    }

    public override RoundStage CreateStage(IReadOnlyList<int>? clients = null)
    {
        var valid = (PrivacyOptions)Validated();
        if (valid.Mode == PrivacyMode.Local)
        {
            return new LocalPrivacy(valid, clients);
        }

        return ServerStage(clients, "Central differential privacy is the server's: give it to New-FedServer -Privacy (a client's own privacy option is -Mode Local).",
            () => new DpFedAvg(valid));
    }
}
