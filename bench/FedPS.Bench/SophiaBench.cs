using System.Globalization;
using FedPS.Core.Primitives;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Bench;

/// <summary>
/// Sophia's cost against AdamW on the CNN: k = 10 training steps (forward, backward, update) per candidate, so
/// Sophia's time includes one Hessian refresh (GNB: an extra forward and backward) per k steps, as in the paper's
/// per-step comparison. Also the update alone (gradients fixed, no refresh) to isolate the optimizer's arithmetic.
/// </summary>
internal static class SophiaStepBench
{
    public static void Run(string[] args)
    {
        var architecture = args.Length > 0 ? ModelSpec.Canonical(args[0]) : "Cnn";
        var threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        const int batch = 32;
        const int k = 10;
        torch.set_num_threads(threads);
        var train = DatasetCatalog.Get("mnist").Load("train", CPU);
        var spec = new ModelSpec(architecture, train.Shape, train.ClassCount, ModelSpec.DefaultMlpHidden);
        var inputs = train.Features.narrow(0, 0, batch);
        var labels = train.Labels.narrow(0, 0, batch);
        var adamModule = spec.Build(1);
        var sophiaModule = spec.Build(1);
        var sgdModule = spec.Build(1);
        using var adamw = OptimizerSpec.Defaults("AdamW").Create(adamModule.parameters());
        using var sgd = OptimizerSpec.Defaults("Sgd").Create(sgdModule.parameters());
        using var sophia = OptimizerSpec.Defaults("Sophia").CreateSophia(sophiaModule.parameters());
        using var generator = new Generator(1);

        void Steps(nn.Module<Tensor, Tensor> module, ILocalOptimizer optimizer)
        {
            for (var step = 0; step < k; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                var loss = Losses.CrossEntropy(module.forward(inputs), labels);
                _ = loss.item<float>();
                loss.backward();
                optimizer.Step(new Minibatch(module, inputs, labels, generator));
            }
        }

        var full = Measure.Interleaved(7, () => Steps(adamModule, adamw), () => Steps(sophiaModule, sophia), () => Steps(sgdModule, sgd));

        // The update alone: gradients computed once, then k updates each (Sophia without refresh).
        Losses.CrossEntropy(adamModule.forward(inputs), labels).backward();
        Losses.CrossEntropy(sophiaModule.forward(inputs), labels).backward();
        Losses.CrossEntropy(sgdModule.forward(inputs), labels).backward();
        var batchForUpdates = new Minibatch(adamModule, inputs, labels, generator);
        var update = Measure.Interleaved(7,
            () => { for (var i = 0; i < k; i++) { adamw.Step(batchForUpdates); } },
            () => { for (var i = 0; i < k; i++) { sophia.Step(); } },
            () => { for (var i = 0; i < k; i++) { sgd.Step(batchForUpdates); } });

        // The curvature refresh alone (GNB: forward, label draw, autograd.grad, h update), k of them.
        var sophiaBatch = new Minibatch(sophiaModule, inputs, labels, generator);
        var refresh = Measure.Interleaved(7,
            () => { for (var i = 0; i < k; i++) { sophia.UpdateCurvature(sophiaBatch); } },
            () => Steps(sgdModule, sgd));

        // What a client-round pays before its first step: a Sophia over the worker's parameters (flat buffers, zero
        // state, cached denominators), made and disposed, against an SGD optimizer made and disposed.
        var setup = Measure.Interleaved(7,
            () => { for (var i = 0; i < k; i++) { using var o = OptimizerSpec.Defaults("Sophia").CreateSophia(sgdModule.parameters()); } },
            () => { for (var i = 0; i < k; i++) { using var o = OptimizerSpec.Defaults("Sgd").Create(sgdModule.parameters()); } });

        Console.WriteLine($"sophia-step: {architecture} on MNIST-shaped batches of {batch}, {threads} thread(s), {k} steps per sample, median of 7, interleaved; load average {Measure.LoadAverage()}");
        Console.WriteLine("| | wall s | CPU s | wall ratio | CPU ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(Row($"AdamW, {k} training steps", full[0], full[0]));
        Console.WriteLine(Row($"Sophia-G, {k} training steps (1 refresh), against AdamW (target <= 1.15)", full[1], full[0]));
        Console.WriteLine(Row($"SGD, {k} training steps", full[2], full[0]));
        Console.WriteLine(Row("Sophia-G against SGD", full[1], full[2]));
        Console.WriteLine(FormattableString.Invariant(
            $"update only, per step (wall / CPU ms): AdamW {update[0].Wall * 1000 / k:F3} / {update[0].Cpu * 1000 / k:F3}, Sophia {update[1].Wall * 1000 / k:F3} / {update[1].Cpu * 1000 / k:F3}, SGD {update[2].Wall * 1000 / k:F3} / {update[2].Cpu * 1000 / k:F3}"));
        Console.WriteLine(FormattableString.Invariant(
            $"curvature refresh alone, per refresh (wall / CPU ms): {refresh[0].Wall * 1000 / k:F3} / {refresh[0].Cpu * 1000 / k:F3}, against an SGD training step {refresh[1].Wall * 1000 / k:F3} / {refresh[1].Cpu * 1000 / k:F3} (CPU ratio {refresh[0].Cpu / refresh[1].Cpu:F2})"));
        Console.WriteLine(FormattableString.Invariant(
            $"optimizer made and disposed, per client-round (wall / CPU ms): Sophia {setup[0].Wall * 1000 / k:F3} / {setup[0].Cpu * 1000 / k:F3}, SGD {setup[1].Wall * 1000 / k:F3} / {setup[1].Cpu * 1000 / k:F3}"));
    }

    internal static string Row(string what, Timing time, Timing reference) =>
        FormattableString.Invariant($"| {what} | {time.Wall:F3} | {time.Cpu:F3} | {time.Wall / reference.Wall:F3} | {time.Cpu / reference.Cpu:F3} |");
}

/// <summary>A Fed-Sophia round against a FedAvg(SGD) round with the same clients, local steps and batches.</summary>
internal static class FedSophiaRoundBench
{
    public static void Run(string[] args)
    {
        var architecture = args.Length > 0 ? ModelSpec.Canonical(args[0]) : "Mlp";
        var clientsCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        var threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        torch.set_num_threads(threads);
        var train = DatasetCatalog.Get("mnist").Load("train", CPU);
        var spec = new ModelSpec(architecture, train.Shape, train.ClassCount, ModelSpec.DefaultMlpHidden);
        var parts = FedClientData.Split(train, new IidPartitioner(), clientsCount, 1);

        FedServer Server(FederatedStrategy strategy, OptimizerSpec optimizer) => new(new FedModel(spec, 1),
            parts.Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 32, Steps = steps, Optimizer = optimizer })).ToArray(),
            strategy, seed: 1);

        using var fedAvg = Server(new FedAvg(), OptimizerSpec.Sgd(0.1));
        using var fedSophia = Server(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(1e-3));
        using var fedAvgSophia = Server(new FedAvg(), OptimizerSpec.Sophia(1e-3));
        using var fedAvgSophiaNoRefresh = Server(new FedAvg(), OptimizerSpec.Sophia(1e-3) with { HessianEvery = steps + 1 });
        var times = Measure.Interleaved(5, () => fedAvg.RunRound(), () => fedSophia.RunRound(), () => fedAvgSophia.RunRound(),
            () => fedAvgSophiaNoRefresh.RunRound());
        Console.WriteLine($"fedsophia-round: {architecture} on MNIST, {clientsCount} clients x {steps} steps of batch 32, {threads} thread(s), median of 5, interleaved; load average {Measure.LoadAverage()}");
        Console.WriteLine("| | wall s | CPU s | wall ratio | CPU ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(SophiaStepBench.Row("FedAvg(SGD) round", times[0], times[0]));
        Console.WriteLine(SophiaStepBench.Row("FedSophia round (target <= 1.2)", times[1], times[0]));
        Console.WriteLine(SophiaStepBench.Row("FedAvg round, clients on Sophia (fresh state each round)", times[2], times[0]));
        Console.WriteLine(SophiaStepBench.Row("the same without curvature refresh (k > steps)", times[3], times[0]));
    }
}
