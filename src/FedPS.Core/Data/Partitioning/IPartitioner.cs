namespace FedPS.Core.Data.Partitioning;

/// <summary>Assigns every sample of a dataset to exactly one client.</summary>
public interface IPartitioner
{
    /// <summary>A short description, e.g. "Dirichlet(α=0.5)".</summary>
    string Description { get; }

    /// <summary>Returns, per client, the indices of its samples (each index appears exactly once overall).</summary>
    int[][] Partition(IReadOnlyList<int> labels, int classCount, int clients, int seed);

    /// <summary>Fails, as <see cref="Partition"/> would, when <paramref name="samples"/> cannot be divided among <paramref name="clients"/> at all.</summary>
    void CheckSizes(int samples, int clients);
}

/// <summary>Checks shared by every partitioner.</summary>
internal static class PartitionChecks
{
    public static void Validate(int samples, int clients)
    {
        if (clients < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"The number of clients must be at least 1 (got {clients}).", clients);
        }

        if (clients > samples)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Cannot split {samples} samples among {clients} clients: every client needs at least one sample (got {clients} clients).", clients);
        }
    }

    public static int[][] RequireNonEmpty(int[][] parts, string description)
    {
        var empty = Array.FindIndex(parts, p => p.Length == 0);
        if (empty >= 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{description} left client {empty} with no samples; use fewer clients, a larger α, or another seed.", empty);
        }

        return parts;
    }

    public static void Shuffle(Span<int> items, Random random) => random.Shuffle(items);
}
