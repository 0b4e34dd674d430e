namespace FedPS.Core.Data.Partitioning;

/// <summary>Uniformly random, equally sized shards (sizes differ by at most one).</summary>
public sealed class IidPartitioner : IPartitioner
{
    public string Description => "IID";

    public void CheckSizes(int samples, int clients) => PartitionChecks.Validate(samples, clients);

    public int[][] Partition(IReadOnlyList<int> labels, int classCount, int clients, int seed)
    {
        CheckSizes(labels.Count, clients);
        var order = Enumerable.Range(0, labels.Count).ToArray();
        PartitionChecks.Shuffle(order, new Random(seed));
        return Enumerable.Range(0, clients)
            .Select(c => order[(int)((long)c * order.Length / clients)..(int)((long)(c + 1) * order.Length / clients)])
            .ToArray();
    }
}
