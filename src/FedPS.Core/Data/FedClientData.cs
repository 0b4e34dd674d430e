using FedPS.Core.Data.Partitioning;

namespace FedPS.Core.Data;

/// <summary>One client's shard of a dataset.</summary>
public sealed class FedClientData
{
    public FedClientData(int id, FedDataset data, string partition, FedDataset? test = null)
    {
        Id = id;
        Data = data;
        Partition = partition;
        Test = test;
        LabelHistogram = data.LabelHistogram();
    }

    /// <summary>The client's own held-out data (its task's test split), when it has one.</summary>
    public FedDataset? Test { get; }

    public int Id { get; }

    public int Count => Data.Count;

    public int[] LabelHistogram { get; }

    public string Partition { get; }

    public FedDataset Data { get; }

    /// <summary>Splits <paramref name="dataset"/> among clients with <paramref name="partitioner"/>, seeded.</summary>
    public static IReadOnlyList<FedClientData> Split(FedDataset dataset, IPartitioner partitioner, int clients, int seed)
    {
        // Token data has no per-sample label to skew by: it splits IID (or by task, see ByTask).
        var labels = !dataset.IsSequence ? dataset.LabelArray
            : partitioner is IidPartitioner ? new int[dataset.Count]
            : throw new FedPSException(FedErrorKind.InvalidArgument,
                $"'{dataset.Name}' holds token sequences, which have no class label to partition by {partitioner.Description}; " +
                "split them with -Iid, or one client per task with -ByTask.", dataset.Name);
        var parts = partitioner.Partition(labels, dataset.ClassCount, clients, seed);

        // One copy of the rows in client order, and each client's shard a view of its stretch: a client costs no
        // allocation of its own, however many there are.
        var grouped = dataset.Subset(parts.SelectMany(p => p).ToArray(), dataset.Name);
        var shards = new FedClientData[parts.Length];
        for (int id = 0, start = 0; id < parts.Length; start += parts[id].Length, id++)
        {
            shards[id] = new FedClientData(id, grouped.Slice(start, parts[id].Length, $"{dataset.Name}[client {id}]"), partitioner.Description);
        }

        return shards;
    }

    /// <summary>
    /// One client per task (multi-task federations): client ids follow the order of <paramref name="tasks"/>; with
    /// <paramref name="clientsPerTask"/> &gt; 1 each task's training data is split IID among that many clients, who
    /// all keep the task's test data.
    /// </summary>
    public static IReadOnlyList<FedClientData> ByTask(IReadOnlyList<(FedDataset Train, FedDataset? Test)> tasks, int clientsPerTask, int seed)
    {
        if (clientsPerTask < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"ClientsPerTask must be at least 1 (got {clientsPerTask}).", clientsPerTask);
        }

        var clients = new List<FedClientData>();
        foreach (var (train, test) in tasks)
        {
            if (train.Count < clientsPerTask)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"Task '{train.Name}' has {train.Count} samples, fewer than {clientsPerTask} clients.", train.Name);
            }

            var order = Enumerable.Range(0, train.Count).ToArray();
            new Random(Primitives.SeedSequence.DeriveInt(seed, clients.Count)).Shuffle(order);
            for (var part = 0; part < clientsPerTask; part++)
            {
                var id = clients.Count;
                var rows = order.Where((_, i) => i % clientsPerTask == part).Order().ToArray();
                var data = clientsPerTask == 1 ? train : train.Subset(rows, $"{train.Name}[client {id}]");
                clients.Add(new FedClientData(id, data, $"task {train.Name}", test));
            }
        }

        return clients;
    }

    public override string ToString() => $"client {Id} ({Count} samples)";
}
