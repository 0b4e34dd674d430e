namespace FedPS.Core.Primitives;

/// <summary>
/// Derives independent, reproducible seeds from a run's seed and a path of keys (round, client, purpose).
/// Every random draw in a run comes from such a derived seed, so a round's randomness depends only on
/// (seed, round, client) — which is what makes a resumed run end exactly where an uninterrupted one does.
/// </summary>
public static class SeedSequence
{
    public static long Derive(long seed, params long[] keys)
    {
        var state = Mix((ulong)seed);
        foreach (var key in keys)
        {
            state = Mix(state ^ Mix((ulong)key + 0x9E3779B97F4A7C15UL));
        }

        return (long)(state >> 1);
    }

    public static int DeriveInt(long seed, params long[] keys) => (int)(Derive(seed, keys) & int.MaxValue);

    // SplitMix64's finalizer (Steele, Lea, Flood 2014).
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>What each derived seed is for (the second key of <see cref="SeedSequence.Derive"/>).</summary>
public enum SeedPurpose
{
    ClientSampling = 1,
    Shuffling = 2,
    Estimator = 3,
    GradientSampling = 4,
    Validation = 5,

    /// <summary>A second local pass of a client in a round (e.g. Ditto's personal model), apart from its update.</summary>
    PersonalTraining = 6,

    /// <summary>Central DP: the Gaussian noise added to the round's mean (per round).</summary>
    PrivacyNoise = 14, // 5 is Validation

    /// <summary>Adaptive clipping: the noise on the count of unclipped updates (per round).</summary>
    ClipCount = 13, // 6 is PersonalTraining

    /// <summary>Local DP: the noise a client adds to its own update (per round and client).</summary>
    LocalPrivacy = 7,

    /// <summary>Stochastic rounding of a compressed update (per round and client).</summary>
    Compression = 8,

    /// <summary>Which clients attack (once per run).</summary>
    Attackers = 9,

    /// <summary>A Gaussian-noise attacker's update (per round and client).</summary>
    AttackNoise = 10,

    /// <summary>Whether a sampled client drops out (per round and client).</summary>
    Availability = 11,

    /// <summary>A client's simulated device speed (once per run and client).</summary>
    ClientSpeed = 12,
}
