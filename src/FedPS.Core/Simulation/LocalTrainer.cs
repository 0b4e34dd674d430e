using FedPS.Core.Federation;
using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>Where a client's local training stands, for progress reporting.</summary>
public readonly record struct LocalProgress(int ClientId, int Step, int Steps);

/// <summary>
/// Runs a client's local steps on a worker network that is shared by all clients of a server (one network,
/// loaded with each client's starting weights in turn, keeps memory flat in the number of clients).
/// </summary>
public sealed class LocalTrainer(nn.Module<Tensor, Tensor> worker)
{
    public nn.Module<Tensor, Tensor> Worker { get; } = worker;

    /// <summary>
    /// Loads <paramref name="start"/> (the trainable parameters; frozen ones stay as the worker holds them) into the worker, takes the client's local steps and returns the resulting
    /// parameters. <paramref name="penalty"/>, if given, is added to each minibatch loss (e.g. FedProx's proximal term).
    /// Cancellation is checked between steps; the caller's state is untouched when it fires.
    /// </summary>
    public ClientUpdate Train(FedClient client, ParameterSet start, int round, long seed, CancellationToken cancel,
        Func<nn.Module<Tensor, Tensor>, Tensor>? penalty = null, IProgress<LocalProgress>? progress = null)
    {
        start.CopyTo(Worker);
        Worker.train();
        var spec = client.Training;
        var data = client.Data.Data;
        var steps = spec.StepsFor(data.Count);
        var batch = Math.Min(spec.BatchSize, data.Count);
        using var generator = new Generator((ulong)SeedSequence.Derive(seed, round, client.Id, (long)SeedPurpose.Shuffling));
        using var optimizer = spec.Optimizer.Create(Worker.parameters().Where(p => p.requires_grad));

        double lossSum = 0;
        Tensor? order = null;
        var position = 0;
        try
        {
            for (var step = 1; step <= steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (order is null || position >= data.Count)
                {
                    order?.Dispose();
                    order = randperm(data.Count, generator: generator).MoveToOuterDisposeScope();
                    position = 0;
                }

                var length = Math.Min(batch, data.Count - position);
                var index = order!.narrow(0, position, length).to(data.Features.device);
                position += length;

                optimizer.zero_grad();
                var logits = Worker.forward(data.Features.index_select(0, index));
                var loss = Losses.CrossEntropy(logits, data.Labels.index_select(0, index));
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                {
                    throw new FedDivergenceException(client.Id, round, step, value);
                }

                lossSum += value;
                (penalty is null ? loss : loss + penalty(Worker)).backward();
                optimizer.step();
                progress?.Report(new LocalProgress(client.Id, step, steps));
            }
        }
        finally
        {
            order?.Dispose();
        }

        var parameters = ParameterSet.From(Worker, trainableOnly: true);
        if (!parameters.AllFinite())
        {
            parameters.Dispose();
            throw new FedDivergenceException(client.Id, round, steps, double.NaN);
        }

        return new ClientUpdate
        {
            ClientId = client.Id,
            SampleCount = data.Count,
            Parameters = parameters,
            TrainLoss = lossSum / steps,
            Steps = steps,
            BytesDown = start.ByteCount,
            BytesUp = parameters.ByteCount,
        };
    }
}
