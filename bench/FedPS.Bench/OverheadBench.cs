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
/// Framework overhead: one client, the same MLP, the same batches and steps, SGD(0.05, momentum 0.9) —
/// a FedPS round (copy in, local steps, aggregate, copy out) against a hand-written TorchSharp loop.
/// </summary>
internal static class OverheadBench
{
    public static void Run(string[] args)
    {
        var dataset = args.FirstOrDefault() ?? "mnist";
        var steps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1875;
        const int batch = 32;
        const int seed = 1;
        torch.set_num_threads(2);

        var train = DatasetCatalog.Get(dataset).Load("train", CPU);
        var spec = new ModelSpec("Mlp", train.Shape, train.ClassCount, ModelSpec.DefaultMlpHidden);
        var model = new FedModel(spec, seed);
        var clientData = FedClientData.Split(train, new IidPartitioner(), 1, seed);
        var training = new LocalTrainingSpec { BatchSize = batch, Steps = steps, Optimizer = OptimizerSpec.Sgd(0.05, 0.9) };
        var client = new FedClient(clientData[0], training);
        var data = clientData[0].Data;

        using var server = new FedServer(model, [client], new FedAvg(), seed: seed);
        var handModule = model.CreateReplica();

        void FedPSRound() => server.RunRound();

        void HandWritten()
        {
            // What a researcher would write by hand: same shuffling seed, same batches, same optimizer.
            using var generator = new Generator((ulong)SeedSequence.Derive(seed, 1, 0, (long)SeedPurpose.Shuffling));
            using var optimizer = torch.optim.SGD(handModule.parameters(), 0.05, momentum: 0.9);
            handModule.train();
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
                var loss = nn.functional.cross_entropy(handModule.forward(data.Features.index_select(0, index)), data.Labels.index_select(0, index));
                _ = loss.item<float>();
                loss.backward();
                optimizer.step();
            }

            order?.Dispose();
        }

        var times = Measure.Interleaved(5, FedPSRound, HandWritten);
        Console.WriteLine($"overhead: one client, MLP {ModelSpec.Describe(spec.InputShape)} -> {string.Join("-", spec.HiddenSizes)} -> {spec.Classes}, {dataset}, {steps} steps of batch {batch}, SGD(0.05, 0.9); median of 5");
        Console.WriteLine($"  hand-written TorchSharp loop  {times[1],8:F3} s");
        Console.WriteLine($"  FedPS round (FedAvg, 1 client) {times[0],8:F3} s");
        Console.WriteLine($"  ratio FedPS / hand-written     {times[0] / times[1],8:F3}   (target <= 1.05)");
    }
}
