using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>DONE's knobs: server step η, Richardson step α, and R (null: each client's local step budget).</summary>
public sealed record DoneOptions(double LearningRate = 1.0, double RichardsonStep = 0.01, int? RichardsonIterations = null)
{
    public static DoneOptions From(StrategyOptions o) =>
        new(o.ServerLearningRate ?? 1.0, o.RichardsonStep, o.RichardsonIterations);
}

/// <summary>
/// DONE, "Distributed Approximate Newton-type Method" (Dinh, Tran, Nguyen, Bao, Zomaya, Zhou 2022, IEEE TPDS).
/// A round has two exchanges:
/// <list type="number">
/// <item>every sampled client sends its local gradient ∇Fₖ(θ); the server averages them (by sample count) into the
/// global gradient g and sends g back;</item>
/// <item>each client approximates the Newton direction −Hₖ⁻¹g by R Richardson iterations
/// d ← d − α(Hₖ·d + g) from d = 0, with Hessian-vector products on its own minibatches; the server averages the
/// directions and steps θ ← θ + η·d̄.</item>
/// </list>
/// Bytes count both exchanges: down θ and g, up ∇Fₖ and d. To keep the compute per round comparable with the
/// first-order methods, ∇Fₖ is taken on R minibatches of the client's batch size (the whole shard when it is
/// smaller) and each Richardson iteration uses one minibatch.
/// </summary>
public sealed class Done(DoneOptions options) : FederatedStrategy
{
    private Tensor[] globalGradient = [];

    public override string Name => "DONE";

    public DoneOptions Options { get; } = options;

    public override void BeginRound(IReadOnlyList<ClientRound> clients)
    {
        DisposeGradient();
        var total = clients.Sum(c => (double)c.Client.SampleCount);
        using var _ = no_grad();
        globalGradient = Global.Values.Select(t => zeros_like(t)).ToArray();
        foreach (var work in clients)
        {
            work.Cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var local = LocalGradient(work);
            for (var i = 0; i < local.Length; i++)
            {
                globalGradient[i].add_(local[i], work.Client.SampleCount / total);
            }
        }
    }

    public override ClientUpdate TrainClient(ClientRound work)
    {
        var worker = work.Trainer.Worker;
        Global.CopyTo(worker);
        worker.train();
        var client = work.Client;
        var parameters = worker.parameters().Where(p => p.requires_grad).ToArray(); // aligned with Global (trainable tensors)
        var iterations = Iterations(client);
        using var batches = new MinibatchStream(client.Data.Data, client.Training.BatchSize, work.Seed, work.Round, client.Id);
        var direction = globalGradient.Select(g => g.mul(-Options.RichardsonStep)).ToArray(); // iteration 1 from d = 0
        double lossSum = 0;
        try
        {
            for (var r = 2; r <= iterations; r++)
            {
                work.Cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (inputs, labels) = batches.Next();
                var loss = Losses.CrossEntropy(worker.forward(inputs), labels);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                {
                    throw new FedDivergenceException(client.Id, work.Round, r, value);
                }

                lossSum += value;
                var products = HessianVectorProduct.Compute(loss, parameters, direction);
                using var _ = no_grad();
                for (var i = 0; i < direction.Length; i++)
                {
                    direction[i].add_(products[i].add_(globalGradient[i]), -Options.RichardsonStep);
                }

                work.Progress?.Report(new LocalProgress(client.Id, r, iterations));
            }
        }
        catch
        {
            Array.ForEach(direction, d => d.Dispose());
            throw;
        }

        var update = new ParameterSet(Global.Tensors.Select((t, i) => (t.Name, direction[i])).ToArray());
        if (!update.AllFinite())
        {
            update.Dispose();
            throw new FedDivergenceException(client.Id, work.Round, iterations, double.NaN);
        }

        var gradientBytes = Global.ByteCount; // ∇Fₖ up and g down have the parameters' shape
        return new ClientUpdate
        {
            ClientId = client.Id,
            SampleCount = client.SampleCount,
            Parameters = update,
            TrainLoss = iterations > 1 ? lossSum / (iterations - 1) : double.NaN,
            Steps = iterations,
            BytesDown = Global.ByteCount + gradientBytes,
            BytesUp = update.ByteCount + gradientBytes,
        };
    }

    /// <summary>θ ← θ + η·d̄, with d̄ the directions averaged by sample count.</summary>
    public override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round)
    {
        using var average = ParameterSet.WeightedAverage(
            updates.Select(u => u.Parameters).ToArray(),
            updates.Select(u => (double)u.SampleCount).ToArray());
        using var _ = no_grad();
        foreach (var (theta, d) in Global.Values.Zip(average.Values))
        {
            theta.add_(d, Options.LearningRate);
        }
    }

    public override string ToString() => FormattableString.Invariant(
        $"DONE(eta={Options.LearningRate}, alpha={Options.RichardsonStep}, R={Options.RichardsonIterations?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "local steps"})");

    public override void Dispose()
    {
        DisposeGradient();
        base.Dispose();
    }

    private int Iterations(FedClient client) =>
        Options.RichardsonIterations ?? client.Training.StepsFor(client.SampleCount);

    /// <summary>∇Fₖ(θ): the mean-loss gradient on R minibatches of the client's data (the shard if smaller).</summary>
    private Tensor[] LocalGradient(ClientRound work)
    {
        var worker = work.Trainer.Worker;
        Global.CopyTo(worker);
        worker.train();
        var client = work.Client;
        var data = client.Data.Data;
        var batch = Math.Min(client.Training.BatchSize, data.Count);
        var samples = Math.Min(data.Count, batch * Iterations(client));
        using var batches = new MinibatchStream(data, batch, work.Seed, work.Round, client.Id, SeedPurpose.GradientSampling);
        var parameters = worker.parameters().Where(p => p.requires_grad).ToArray(); // aligned with Global (trainable tensors)
        foreach (var p in parameters)
        {
            p.grad?.zero_();
        }

        using (enable_grad())
        {
            for (var seen = 0; seen < samples;)
            {
                var (inputs, labels) = batches.Next();
                var length = Math.Min((int)inputs.shape[0], samples - seen);
                var loss = Losses.CrossEntropy(worker.forward(inputs.narrow(0, 0, length)), labels.narrow(0, 0, length));
                loss.mul(length / (double)samples).backward();
                seen += length;
            }
        }

        return parameters.Select(p => p.grad!.clone()).ToArray();
    }

    private void DisposeGradient()
    {
        foreach (var g in globalGradient)
        {
            g.Dispose();
        }

        globalGradient = [];
    }
}
