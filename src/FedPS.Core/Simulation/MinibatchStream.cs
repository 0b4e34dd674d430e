using FedPS.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>
/// A client's minibatches for one round: passes over its data in a seeded random order (reshuffled per pass),
/// from the seed derived from (run seed, round, client), so a round's batches do not depend on what ran before.
/// </summary>
public sealed class MinibatchStream : IDisposable
{
    private readonly FedDataset data;
    private readonly int batchSize;
    private readonly Generator generator;
    private Tensor? order;
    private int position;

    public MinibatchStream(FedDataset data, int batchSize, long seed, int round, int clientId,
        SeedPurpose purpose = SeedPurpose.Shuffling)
    {
        this.data = data;
        this.batchSize = Math.Min(batchSize, data.Count);
        generator = new Generator((ulong)SeedSequence.Derive(seed, round, clientId, (long)purpose));
    }

    /// <summary>The next batch's (inputs, labels), in the caller's dispose scope.</summary>
    public (Tensor Inputs, Tensor Labels) Next()
    {
        if (order is null || position >= data.Count)
        {
            order?.Dispose();
            order = randperm(data.Count, generator: generator).DetachFromDisposeScope(); // lives across steps
            position = 0;
        }

        var length = Math.Min(batchSize, data.Count - position);
        var index = order.narrow(0, position, length).to(data.Features.device);
        position += length;
        return (data.Features.index_select(0, index), data.Labels.index_select(0, index));
    }

    public void Dispose()
    {
        order?.Dispose();
        generator.Dispose();
    }
}
