namespace FedPS.Core.Data.Partitioning;

/// <summary>
/// McMahan et al. 2017's pathological non-IID split: sort the samples by label, cut them into
/// clients × k equal shards, and give each client k shards drawn at random.
/// </summary>
public sealed class ShardPartitioner : IPartitioner
{
    public ShardPartitioner(int shardsPerClient)
    {
        if (shardsPerClient < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Shards per client must be at least 1 (got {shardsPerClient}).", shardsPerClient);
        }

        ShardsPerClient = shardsPerClient;
    }

    public int ShardsPerClient { get; }

    public string Description => $"Shards(k={ShardsPerClient})";

    public void CheckSizes(int samples, int clients)
    {
        PartitionChecks.Validate(samples, clients);
        var shardCount = (long)clients * ShardsPerClient;
        if (shardCount > samples)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{clients} clients × {ShardsPerClient} shards = {shardCount} shards, more than the {samples} samples: lower the shards per client or the clients.", shardCount);
        }
    }

    public int[][] Partition(IReadOnlyList<int> labels, int classCount, int clients, int seed)
    {
        CheckSizes(labels.Count, clients);
        var shardCount = clients * ShardsPerClient;

        var random = new Random(seed);
        var order = Enumerable.Range(0, labels.Count).ToArray();
        PartitionChecks.Shuffle(order, random);
        var sorted = order.OrderBy(i => labels[i]).ToArray(); // stable: ties keep the shuffled order
        var shards = Enumerable.Range(0, shardCount).ToArray();
        PartitionChecks.Shuffle(shards, random);
        return Enumerable.Range(0, clients)
            .Select(c => shards[(c * ShardsPerClient)..((c + 1) * ShardsPerClient)]
                .SelectMany(s => sorted[(int)((long)s * sorted.Length / shardCount)..(int)((long)(s + 1) * sorted.Length / shardCount)])
                .ToArray())
            .ToArray();
    }
}
