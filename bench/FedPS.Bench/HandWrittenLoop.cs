using FedPS.Core.Primitives;
using FedPS.Core.Data;
using FedPS.Core.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Bench;

/// <summary>
/// What a researcher would write by hand for one client's local training in plain TorchSharp: SGD with momentum on
/// minibatches drawn like FedPS's (a seeded random order per pass over the data, from the seed FedPS derives for
/// the round and client), the loss summed on the device and read once at the end. Given the same starting weights
/// it ends with the same parameters as a FedPS round of that one client, so the benches compare equal work.
/// </summary>
internal static class HandWrittenLoop
{
    public static double Train(nn.Module<Tensor, Tensor> module, FedDataset data, int batchSize, int steps,
        double learningRate, double momentum, long runSeed, int round, int clientId)
    {
        using var generator = new Generator((ulong)SeedSequence.Derive(runSeed, round, clientId, (long)SeedPurpose.Shuffling));
        using var optimizer = torch.optim.SGD(module.parameters(), learningRate, momentum: momentum);
        using var lossSum = zeros(1, device: data.Features.device);
        var batch = Math.Min(batchSize, data.Count);
        module.train();
        Tensor? order = null;
        var position = 0;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            if (order is null || position >= data.Count)
            {
                order?.Dispose();
                order = randperm(data.Count, generator: generator).MoveToOuterDisposeScope();
                position = 0;
            }

            var length = Math.Min(batch, data.Count - position);
            var index = order.narrow(0, position, length);
            position += length;
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(module.forward(data.Features.index_select(0, index)), data.Labels.index_select(0, index));
            loss.backward();
            optimizer.step();
            using (no_grad())
            {
                lossSum.add_(loss);
            }
        }

        order?.Dispose();
        return lossSum.item<float>() / steps;
    }
}
