using FedPS.Core.Primitives;

namespace FedPS.Core.Federation;

/// <summary>
/// Picks the clients of a round: max(1, round(fraction · K)) of K, uniformly without replacement, from a seed
/// derived from (run seed, round) — so round r samples the same clients whether or not the run was resumed.
/// </summary>
public static class ClientSampler
{
    /// <summary>How many of <paramref name="clientCount"/> clients a round samples at <paramref name="fraction"/>.</summary>
    public static int Count(int clientCount, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"SampleFraction must be in (0, 1] (got {fraction})."), fraction);
        }

        return Math.Min(clientCount, Math.Max(1, (int)Math.Round(fraction * clientCount, MidpointRounding.AwayFromZero)));
    }

    public static int[] Sample(int clientCount, double fraction, long seed, int round)
    {
        var take = Count(clientCount, fraction);
        if (take >= clientCount)
        {
            return Enumerable.Range(0, clientCount).ToArray();
        }

        var ids = Enumerable.Range(0, clientCount).ToArray();
        new Random(SeedSequence.DeriveInt(seed, round, (long)SeedPurpose.ClientSampling)).Shuffle(ids);
        return ids[..take].Order().ToArray();
    }
}
