using FedPS.Core.Data.Partitioning;

namespace FedPS.Core.Data;

/// <summary>One client's shard of a dataset.</summary>
public sealed class FedClientData
{
    public FedClientData(int id, FedDataset data, string partition)
    {
        Id = id;
        Data = data;
        Partition = partition;
        LabelHistogram = data.LabelHistogram();
    }

    public int Id { get; }

    public int Count => Data.Count;

    public int[] LabelHistogram { get; }

    public string Partition { get; }

    public FedDataset Data { get; }

    /// <summary>Splits <paramref name="dataset"/> among clients with <paramref name="partitioner"/>, seeded.</summary>
    public static IReadOnlyList<FedClientData> Split(FedDataset dataset, IPartitioner partitioner, int clients, int seed)
    {
        var parts = partitioner.Partition(dataset.LabelArray, dataset.ClassCount, clients, seed);
        return parts
            .Select((indices, id) => new FedClientData(id, dataset.Subset(indices, $"{dataset.Name}[client {id}]"), partitioner.Description))
            .ToArray();
    }

    public override string ToString() => $"client {Id} ({Count} samples)";
}
