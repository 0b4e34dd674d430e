using System.Text.Json.Serialization;

namespace FedPS.Core.Federation.Stages;

/// <summary>What a Byzantine client does.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttackKind>))] // by name in stored configs
public enum AttackKind
{
    /// <summary>Trains on flipped labels, y → C − 1 − y.</summary>
    LabelFlip,

    /// <summary>Sends −s·Δ instead of its update Δ.</summary>
    SignFlip,

    /// <summary>Sends s·Δ (a boosted update).</summary>
    Scale,

    /// <summary>Sends N(0, σ²I) instead of its update.</summary>
    GaussianNoise,
}

/// <summary>
/// A Byzantine attack's knobs: what the attackers do, and which clients attack — given by a server, a seeded share
/// (<see cref="Fraction"/>), an exact <see cref="Count"/>, or the <see cref="Clients"/> themselves; given to a
/// client (New-FedClient -Attack), that client.
/// </summary>
public sealed record AttackOptions : StageOptions
{
    public AttackKind Kind { get; init; } = AttackKind.SignFlip;

    /// <summary>The share of the server's clients that attack, picked once per run from its seed.</summary>
    public double Fraction { get; init; }

    /// <summary>How many of the server's clients attack (instead of <see cref="Fraction"/>), picked from its seed.</summary>
    public int? Count { get; init; }

    /// <summary>The ids of the clients that attack (instead of a seeded pick).</summary>
    public int[]? Clients { get; init; }

    /// <summary>s: SignFlip sends −s·Δ, Scale sends s·Δ; null: 1 for SignFlip, 10 for Scale.</summary>
    public double? Scale { get; init; }

    /// <summary>σ of a GaussianNoise attacker's update entries.</summary>
    public double NoiseStd { get; init; } = 1.0;

    /// <summary>The scale the attack uses (<see cref="Scale"/>, or its kind's default).</summary>
    public double EffectiveScale => Scale ?? (Kind == AttackKind.Scale ? 10.0 : 1.0);

    public override bool IsClientOption => true;

    public override StageOptions Validated()
    {
        Require(Fraction is >= 0 and <= 1, nameof(Fraction), Fraction, "in [0, 1]");
        Require(Count is null or >= 0, nameof(Count), Count, "at least 0");
        Require(Clients is null || (Clients.All(c => c >= 0) && Clients.Distinct().Count() == Clients.Length), nameof(Clients), Clients,
            "distinct client ids, each at least 0");
        Require((Fraction > 0 ? 1 : 0) + (Count is null ? 0 : 1) + (Clients is null ? 0 : 1) <= 1, nameof(Count), Count,
            "left out when Fraction or Clients is given (choose attackers one way)");
        Require(Scale is null || PositiveFinite(Scale.Value), nameof(Scale), Scale, "positive and finite");
        Require(PositiveFinite(NoiseStd), nameof(NoiseStd), NoiseStd, "positive and finite");
        return this;
    }

    public override RoundStage CreateStage(IReadOnlyList<int>? clients = null)
    {
        var valid = (AttackOptions)Validated();
        if (clients is not null && (valid.Fraction > 0 || valid.Count is not null || valid.Clients is not null))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "Fraction, Count and Clients pick the attackers among a server's clients (New-FedServer -Attack); a client's own attack (New-FedClient -Attack) takes none of them.", this);
        }

        return new ByzantineAttack(valid, clients);
    }
}
