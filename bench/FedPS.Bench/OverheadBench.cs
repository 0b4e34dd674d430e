using System.Globalization;
using FedPS.Core.Primitives;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Runtime;
using FedPS.Core.Simulation;
using static TorchSharp.torch;

namespace FedPS.Bench;

/// <summary>
/// Framework overhead on equal work: one client holding the whole dataset, the MLP, SGD(0.05, momentum 0.9), the
/// same batches and steps on the same thread with the same thread settings — round 1 of a fresh FedPS server
/// (through its constructor and RunRound only) against <see cref="HandWrittenLoop"/> from the same initial weights.
/// Both must end with the same parameters (up to the rounding of the server's weighted mean): the bench prints the
/// largest absolute difference, then the time ratio.
/// </summary>
internal static class OverheadBench
{
    private const int Seed = 1;
    private const double LearningRate = 0.05;
    private const double Momentum = 0.9;

    public static void Run(string[] args)
    {
        var dataset = args.Length > 0 ? args[0] : "mnist";
        var steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1875;
        var threads = args.Length > 2 && args[2] != "default" ? int.Parse(args[2], CultureInfo.InvariantCulture) : (int?)null;
        var repeats = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
        const int batch = 32;
        var device = FedDevice.Set("cpu", threads);

        var train = DatasetCatalog.Get(dataset).Load("train", CPU);
        var spec = new ModelSpec("Mlp", train.Shape, train.ClassCount, ModelSpec.DefaultMlpHidden);
        var model = new FedModel(spec, Seed);
        var clientData = FedClientData.Split(train, new IidPartitioner(), 1, Seed)[0];
        var training = new LocalTrainingSpec { BatchSize = batch, Steps = steps, Optimizer = OptimizerSpec.Sgd(LearningRate, Momentum) };
        using var initial = ParameterSet.From(model.Module);

        FedServer? server = null;
        var hand = model.CreateReplica();
        var times = Measure.Interleaved(repeats,
            prepare: [
                () => { server?.Dispose(); server = new FedServer(model, [new FedClient(clientData, training)], new FedAvg(), seed: Seed); },
                () => initial.CopyTo(hand),
            ],
            () => server!.RunRound(),
            () => HandWrittenLoop.Train(hand, clientData.Data, batch, steps, LearningRate, Momentum, Seed, round: 1, clientId: 0));

        using var fedps = ParameterSet.From(server!.ModuleFor(null));
        using var handwritten = ParameterSet.From(hand);
        var difference = fedps.Values.Zip(handwritten.Values).Max(p => (p.First - p.Second).abs().max().item<float>());
        server.Dispose();

        Console.WriteLine($"overhead: one client with all of {dataset} ({clientData.Count} samples), MLP {ModelSpec.Describe(spec.InputShape)}-{string.Join("-", spec.HiddenSizes)}-{spec.Classes}, " +
            $"{steps} steps of batch {batch}, SGD({LearningRate}, momentum {Momentum}); {device.Threads} thread(s), wait policy {device.WaitPolicy}; " +
            $"median of {repeats}, interleaved; load average {Measure.LoadAverage()}");
        Console.WriteLine("| | wall s | CPU s | wall ratio | CPU ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(SophiaStepBench.Row("hand-written TorchSharp loop", times[1], times[1]));
        Console.WriteLine(SophiaStepBench.Row("FedPS round (FedAvg, 1 client)", times[0], times[1]));
        Console.WriteLine(FormattableString.Invariant($"max |θ_FedPS − θ_hand| after the last repetition: {difference:G3} (the same work: 0, or one float32 rounding, since the server's weighted mean of one client computes θ·n/n)"));
    }
}
