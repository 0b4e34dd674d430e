namespace FedPS.Core.Models;

/// <summary>Which linear layers of a transformer block get LoRA adapters.</summary>
[Flags]
public enum LoraTargets
{
    /// <summary>The attention projections q, k, v and out.</summary>
    Attention = 1,

    /// <summary>The two linear layers of the feed-forward block.</summary>
    Mlp = 2,

    All = Attention | Mlp,
}

/// <summary>
/// Low-rank adaptation (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): a frozen linear W
/// gains (α/r)·B·A with A (r×d_in) and B (d_out×r); only A and B train.
/// </summary>
public sealed record LoraSpec(int Rank, double Alpha, double Dropout, LoraTargets Targets)
{
    /// <summary>The scale α/r applied to the adapter path.</summary>
    public double Scale => Alpha / Rank;

    public LoraSpec Validated()
    {
        if (Rank < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"LoraRank must be at least 1 (got {Rank}).", Rank);
        }

        if (!(Alpha > 0) || !double.IsFinite(Alpha))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"LoraAlpha must be positive (got {Alpha})."), Alpha);
        }

        if (Dropout is < 0 or >= 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"LoraDropout must be in [0, 1) (got {Dropout})."), Dropout);
        }

        return this;
    }

    public override string ToString() => FormattableString.Invariant($"LoRA r={Rank}, α={Alpha}, dropout={Dropout}, {Targets}");
}
