using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Primitives;

/// <summary>
/// A client's minibatches for one round: passes over its samples in a seeded random order (reshuffled per pass),
/// from the seed derived from (run seed, round, client, purpose), so a round's batches do not depend on what ran before.
/// Language-model batches come without the padding after their last counted label (<see cref="SequencePadding"/>).
/// </summary>
public sealed class MinibatchStream : IDisposable
{
    private readonly Tensor features;
    private readonly Tensor labels;
    private readonly int count;
    private readonly int batchSize;
    private readonly Generator generator;
    private readonly bool repeatFirst;
    private readonly int[]? countedLengths;
    private Tensor? order;
    private long[]? hostOrder;
    private int position;
    private (Tensor Inputs, Tensor Labels)? first;

    /// <param name="features">The samples, first dimension the sample index.</param>
    /// <param name="labels">Their labels, on the same device.</param>
    /// <param name="repeatFirst">Return the first batch again on every call (one fixed minibatch for the round).</param>
    public MinibatchStream(Tensor features, Tensor labels, int batchSize, long seed, int round, int clientId,
        SeedPurpose purpose = SeedPurpose.Shuffling, bool repeatFirst = false)
    {
        this.repeatFirst = repeatFirst;
        this.features = features;
        this.labels = labels;
        count = (int)labels.shape[0];
        this.batchSize = Math.Min(batchSize, count);
        generator = new Generator((ulong)SeedSequence.Derive(seed, round, clientId, (long)purpose));
        countedLengths = SequencePadding.CountedLengths(labels);
    }

    /// <summary>The next batch's (inputs, labels), in the caller's dispose scope.</summary>
    public (Tensor Inputs, Tensor Labels) Next()
    {
        if (first is { } fixedBatch)
        {
            return (fixedBatch.Inputs.alias(), fixedBatch.Labels.alias());
        }

        if (order is null || position >= count)
        {
            order?.Dispose();
            var permutation = randperm(count, generator: generator);
            hostOrder = countedLengths is null ? null : permutation.data<long>().ToArray(); // drawn on the host: no device read
            order = permutation.to(features.device).DetachFromDisposeScope(); // lives across steps
            position = 0;
        }

        var length = Math.Min(batchSize, count - position);
        var index = order.narrow(0, position, length);
        var batch = (features.index_select(0, index), labels.index_select(0, index));
        if (countedLengths is not null)
        {
            batch = SequencePadding.Trim(batch.Item1, batch.Item2, SequencePadding.LongestOf(countedLengths, hostOrder.AsSpan(position, length)));
        }

        position += length;
        if (repeatFirst)
        {
            first = (batch.Item1.DetachFromDisposeScope(), batch.Item2.DetachFromDisposeScope());
            return (first.Value.Inputs.alias(), first.Value.Labels.alias());
        }

        return batch;
    }

    public void Dispose()
    {
        first?.Inputs.Dispose();
        first?.Labels.Dispose();
        order?.Dispose();
        generator.Dispose();
    }
}
