using FedPS.Core.Models;
using FedPS.Core.Primitives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>What a second local pass (<see cref="LocalTrainer.TrainPass"/>) produced: the trained parameters (the caller owns them), its mean loss and steps.</summary>
public sealed record LocalPassResult(ParameterSet Parameters, double TrainLoss, int Steps);

/// <summary>Where a client's local training stands, for progress reporting.</summary>
public readonly record struct LocalProgress(int ClientId, int Step, int Steps);

/// <summary>
/// The one local training loop: runs a client's steps for its <see cref="ClientAssignment"/> on a worker network
/// shared by all clients of a server (one network, loaded with each client's starting weights in turn, keeps
/// memory flat in the number of clients). A step is: the next minibatch (its labels mapped when the assignment says
/// so, e.g. by a label-flipping attacker), the loss, the assignment's penalty, and its update rule. Cancellation is checked between steps; losses stay on the device and are read once, after the
/// last step, so no step waits for the host (what a GPU needs); a non-finite loss is then reported with the step it
/// first appeared at.
/// </summary>
public sealed class LocalTrainer(nn.Module<Tensor, Tensor> worker) : IDisposable
{
    // The worker's parameters by name, and those that train, enumerated once: the worker is the same network for
    // every client, and walking a module's parameters costs native calls per tensor (a tenth of a millisecond per
    // client for the MLP, which at 1,000 clients with a few steps each is most of the round's fixed cost).
    private readonly Dictionary<string, Parameter> byName = worker.named_parameters().ToDictionary(p => p.name, p => p.parameter);
    private readonly (string Name, Parameter Parameter)[] trainable = [.. worker.named_parameters().Where(p => p.parameter.requires_grad)];

    internal nn.Module<Tensor, Tensor> Worker { get; } = worker;

    public ClientUpdate Train(ClientAssignment assignment, CancellationToken cancel = default, IProgress<LocalProgress>? progress = null)
    {
        var client = assignment.Client;
        var round = assignment.Round;
        var steps = assignment.PlannedSteps;
        var purposes = new PassSeeds(round.Seed, round.Number, client.Id, SeedPurpose.Shuffling, SeedSequence.Derive(round.Seed, round.Number, client.Id, (long)SeedPurpose.Estimator));
        using var update = Run(client, assignment.Start, steps, assignment.Penalty, assignment.UpdateRule, assignment.FixedBatchSize, purposes, cancel, progress, out var trainLoss,
            assignment.LabelMap);
        var payload = update.Payload();
        var sent = payload ?? ParameterSet.From(trainable);
        var baseline = payload is null ? assignment.Start : null;
        var norm = baseline is null ? sent.Norm() : sent.DistanceTo(baseline);
        if (!double.IsFinite(norm) && !sent.AllFinite()) // a finite norm already shows every value is finite
        {
            sent.Dispose();
            throw new FedDivergenceException(client.Id, round.Number, steps, double.NaN);
        }

        return new ClientUpdate(client.Id, client.SampleCount, sent, baseline, round, norm)
        {
            TrainLoss = trainLoss,
            Steps = steps,
            BytesDown = assignment.BytesDown,
            BytesUp = assignment.Transmits ? sent.ByteCount + assignment.ExtraBytesUp : 0,
            Metrics = new Dictionary<string, double>(update.CollectMetrics()),
        };
    }

    /// <summary>Samples per forward/backward pass of <see cref="Gradient"/> (at least the client's batch size).</summary>
    public const int GradientChunk = 1024;

    /// <summary>
    /// A second local pass, apart from the round's update (e.g. Ditto's personal model): <paramref name="steps"/> steps of
    /// the client's own optimizer from <paramref name="start"/>, with <paramref name="penalty"/> added to each minibatch
    /// loss, on minibatches in an order seeded by (seed, round, client, <paramref name="purpose"/>) so it draws
    /// independently of the main pass. The caller owns the result.
    /// </summary>
    public LocalPassResult TrainPass(FedClient client, ParameterSet start, int steps, Func<nn.Module<Tensor, Tensor>, Tensor>? penalty,
        SeedPurpose purpose, long seed, int round, CancellationToken cancel = default)
    {
        var purposes = new PassSeeds(seed, round, client.Id, purpose, SeedSequence.Derive(seed, round, client.Id, (long)purpose, (long)SeedPurpose.Estimator));
        using (Run(client, start, steps, penalty, null, null, purposes, cancel, null, out var trainLoss))
        {
            var trained = ParameterSet.From(trainable);
            if (!trained.AllFinite())
            {
                trained.Dispose();
                throw new FedDivergenceException(client.Id, round, steps, double.NaN);
            }

            return new LocalPassResult(trained, trainLoss, steps);
        }
    }

    // The step loop shared by every pass: load the start, then per step the next minibatch (its labels mapped for a
    // label-flipping attacker), the loss plus penalty, and the update rule. Returns the update rule (the caller disposes it) with the worker holding the trained parameters.
    private ILocalUpdate Run(FedClient client, ParameterSet start, int steps, Func<nn.Module<Tensor, Tensor>, Tensor>? penalty,
        Func<LocalUpdateContext, ILocalUpdate>? rule, int? fixedBatchSize, PassSeeds seeds, CancellationToken cancel,
        IProgress<LocalProgress>? progress, out double trainLoss, Func<Tensor, Tensor>? labelMap = null)
    {
        start.CopyTo(byName);
        Worker.train();
        var data = client.Data.Data;
        var parameters = trainable.Select(p => p.Parameter).ToArray();
        using var batches = new MinibatchStream(data.Features, data.Labels, fixedBatchSize ?? client.Training.BatchSize,
            seeds.Seed, seeds.Round, seeds.ClientId, seeds.Shuffling, repeatFirst: fixedBatchSize is not null);
        using var estimatorGenerator = new Generator((ulong)seeds.Estimator);
        using var losses = zeros(Math.Max(1, steps), dtype: ScalarType.Float32, device: data.Features.device);
        var context = new LocalUpdateContext(client, parameters, start);
        var update = rule?.Invoke(context) ?? context.OptimizerUpdate(client.Training.Optimizer.Create(parameters));
        try
        {
            for (var step = 0; step < steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (inputs, labels) = batches.Next();
                if (labelMap is not null)
                {
                    labels = labelMap(labels);
                }

                var loss = Losses.CrossEntropy(Worker.forward(inputs), labels);
                losses[step] = loss.detach();
                update.Step(penalty is null ? loss : loss + penalty(Worker), new Minibatch(Worker, inputs, labels, estimatorGenerator));
                progress?.Report(new LocalProgress(client.Id, step + 1, steps));
            }

            trainLoss = MeanLoss(losses, steps, client.Id, seeds.Round);
            return update;
        }
        catch
        {
            update.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An extra pass (no update): the mean-loss gradient at <paramref name="at"/> over <paramref name="samples"/> of the
    /// client's samples, the first of a seeded order of its own. A mean over samples does not depend on how they are
    /// grouped, so they are taken in chunks of <see cref="GradientChunk"/> (a whole MNIST shard in a few passes instead
    /// of one per minibatch; the sum differs from minibatch passes only by float rounding). The caller owns the result.
    /// </summary>
    public ParameterSet Gradient(FedClient client, ParameterSet at, int samples, long seed, int round)
    {
        at.CopyTo(byName);
        Worker.train();
        var data = client.Data.Data;
        samples = Math.Clamp(samples, 1, data.Count);
        foreach (var (_, p) in trainable)
        {
            p.grad?.zero_();
        }

        using var batches = new MinibatchStream(data.Features, data.Labels, Math.Max(GradientChunk, client.Training.BatchSize), seed, round, client.Id,
            SeedPurpose.GradientSampling);
        using (enable_grad())
        {
            for (var seen = 0; seen < samples;)
            {
                using var scope = NewDisposeScope();
                var (inputs, labels) = batches.Next();
                var length = Math.Min((int)inputs.shape[0], samples - seen);
                var loss = Losses.CrossEntropy(Worker.forward(inputs.narrow(0, 0, length)), labels.narrow(0, 0, length));
                loss.mul(length / (double)samples).backward();
                seen += length;
            }
        }

        var gradient = new ParameterSet(trainable.Select(p => (p.Name, p.Parameter.grad!.detach().clone())).ToArray());
        if (!gradient.AllFinite())
        {
            gradient.Dispose();
            throw new FedDivergenceException(client.Id, round, 0, double.NaN);
        }

        return gradient;
    }

    public void Dispose() => Worker.Dispose();

    // Where a pass's randomness comes from: the minibatch order's purpose and the Hessian estimator's seed.
    private readonly record struct PassSeeds(long Seed, int Round, int ClientId, SeedPurpose Shuffling, long Estimator);

    // One host read for the whole client: the mean, or the step where the loss first stopped being finite.
    private static double MeanLoss(Tensor losses, int steps, int clientId, int round)
    {
        if (steps == 0)
        {
            return double.NaN;
        }

        var values = losses.cpu().data<float>().ToArray();
        double sum = 0;
        for (var i = 0; i < steps; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new FedDivergenceException(clientId, round, i + 1, values[i]);
            }

            sum += values[i];
        }

        return sum / steps;
    }
}
