namespace FedPS.Core.Data.Partitioning;

/// <summary>Assigns every sample of a dataset to exactly one client.</summary>
public interface IPartitioner
{
    /// <summary>A short description, e.g. "Dirichlet(α=0.5)".</summary>
    string Description { get; }

    /// <summary>Returns, per client, the indices of its samples (each index appears exactly once overall).</summary>
    int[][] Partition(IReadOnlyList<int> labels, int classCount, int clients, int seed);
}

/// <summary>Checks shared by every partitioner.</summary>
internal static class PartitionChecks
{
    public static void Validate(IReadOnlyList<int> labels, int clients)
    {
        if (clients < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"The number of clients must be at least 1 (got {clients}).", clients);
        }

        if (clients > labels.Count)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Cannot split {labels.Count} samples among {clients} clients: every client needs at least one sample.", clients);
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
