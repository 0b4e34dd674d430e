using FedPS.Core.Federation;
using FedPS.Core.Models;
using FedPS.Core.Optim;
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
    /// <paramref name="optimizer"/>, if given, is used instead of a fresh one from the client's spec (e.g. Sophia
    /// with state carried across rounds; it must be bound to <see cref="Worker"/>'s parameters, and the caller keeps it).
    /// Cancellation is checked between steps; the caller's state is untouched when it fires.
    /// </summary>
    public ClientUpdate Train(FedClient client, ParameterSet start, int round, long seed, CancellationToken cancel,
        Func<nn.Module<Tensor, Tensor>, Tensor>? penalty = null, IProgress<LocalProgress>? progress = null,
        ILocalOptimizer? optimizer = null)
    {
        start.CopyTo(Worker);
        Worker.train();
        var spec = client.Training;
        var data = client.Data.Data;
        var steps = spec.StepsFor(data.Count);
        using var batches = new MinibatchStream(data, spec.BatchSize, seed, round, client.Id);
        using var estimatorGenerator = new Generator((ulong)SeedSequence.Derive(seed, round, client.Id, (long)SeedPurpose.Estimator));
        var local = optimizer ?? spec.Optimizer.Create(Worker.parameters().Where(p => p.requires_grad));
        double lossSum = 0;
        IReadOnlyDictionary<string, double> metrics;
        try
        {
            for (var step = 1; step <= steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (inputs, labels) = batches.Next();
                local.ZeroGrad();
                var loss = Losses.CrossEntropy(Worker.forward(inputs), labels);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                {
                    throw new FedDivergenceException(client.Id, round, step, value);
                }

                lossSum += value;
                (penalty is null ? loss : loss + penalty(Worker)).backward();
                local.Step(new Minibatch(Worker, inputs, labels, estimatorGenerator));
                progress?.Report(new LocalProgress(client.Id, step, steps));
            }

            metrics = local.CollectMetrics();
        }
        finally
        {
            if (optimizer is null)
            {
                local.Dispose();
            }
        }

        var parameters = ParameterSet.From(Worker, trainableOnly: true);
        if (!parameters.AllFinite())
        {
            parameters.Dispose();
            throw new FedDivergenceException(client.Id, round, steps, double.NaN);
        }

        var update = new ClientUpdate
        {
            ClientId = client.Id,
            SampleCount = data.Count,
            Parameters = parameters,
            TrainLoss = lossSum / steps,
            Steps = steps,
            BytesDown = start.ByteCount,
            BytesUp = parameters.ByteCount,
        };
        foreach (var (name, value) in metrics)
        {
            update.Metrics[name] = value;
        }

        return update;
    }
}
