using System.Diagnostics;
using System.Globalization;
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
/// Cross-device scale, one process per federation size (for bench/scale.ps1): MNIST, the MLP, Dirichlet(0.5)
/// clients, 50 sampled per round (all of them when there are fewer), one local epoch of batch 10 with SGD(0.05).
/// On the first timed rounds each FedPS round is paired with <see cref="HandWrittenLoop"/> training the same
/// sampled clients from the same global weights (the raw training time of the same steps), alternating which
/// goes first. Resident memory is read after loading the data, after making the clients, after building the
/// server and along the rounds. Prints key=value lines.
/// </summary>
internal static class ScaleBench
{
    private const int Seed = 1;
    private const int Batch = 10;
    private const double LearningRate = 0.05;

    public static void Run(string[] args)
    {
        var clientCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var timedRounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        const int perRound = 50;
        var device = FedDevice.Set("cpu");

        var train = DatasetCatalog.Get("mnist").Load("train", CPU);
        var rssLoaded = Rss();
        var parts = FedClientData.Split(train, new DirichletPartitioner(0.5), clientCount, Seed);
        var training = new LocalTrainingSpec { BatchSize = Batch, Epochs = 1, Optimizer = OptimizerSpec.Sgd(LearningRate) };
        var clients = parts.Select(d => new FedClient(d, training)).ToArray();
        var rssClients = Rss();
        var model = new FedModel(new ModelSpec("Mlp", train.Shape, train.ClassCount, ModelSpec.DefaultMlpHidden), Seed);
        var fraction = Math.Min(1.0, (double)perRound / clientCount);
        using var server = new FedServer(model, clients, new FedAvg(), sampleFraction: fraction, seed: Seed);
        var rssServer = Rss();
        var stateBytes = server.Strategy.StateTensors().Where(t => !t.Name.StartsWith("global", StringComparison.Ordinal))
            .Sum(t => t.Value.numel() * t.Value.ElementSize);

        var hand = model.CreateReplica();
        double fedpsSeconds = 0, handSeconds = 0;
        long clientRounds = 0, steps = 0;
        var rssByRound = new List<(int Round, double Rss)>();
        for (var round = 1; round <= rounds; round++)
        {
            if (round > timedRounds)
            {
                server.RunRound();
            }
            else
            {
                var sampled = ClientSampler.Sample(clientCount, fraction, Seed, round);
                using var start = ParameterSet.From(server.ModuleFor(null), trainableOnly: true);
                void FedPS() => server.RunRound();
                void Hand()
                {
                    foreach (var id in sampled)
                    {
                        start.CopyTo(hand);
                        var data = clients[id].Data.Data;
                        HandWrittenLoop.Train(hand, data, Batch, training.StepsFor(data.Count), LearningRate, 0, Seed, round, id);
                    }
                }

                var (first, second) = round % 2 == 1 ? ((Action)FedPS, (Action)Hand) : (Hand, FedPS);
                var t1 = Time(first);
                var t2 = Time(second);
                fedpsSeconds += round % 2 == 1 ? t1 : t2;
                handSeconds += round % 2 == 1 ? t2 : t1;
                clientRounds += sampled.Length;
                steps += sampled.Sum(id => training.StepsFor(clients[id].Data.Count));
            }

            if (round == 1 || round % 10 == 0)
            {
                rssByRound.Add((round, Rss()));
            }
        }

        var meanShard = parts.Average(p => p.Count);
        var sampleBytes = (train.Features.numel() / train.Count * train.Features.ElementSize) + train.Labels.ElementSize;
        Print("clients", clientCount);
        Print("sampled_per_round", Math.Min(perRound, clientCount));
        Print("threads", device.Threads);
        Print("timed_rounds", timedRounds);
        Print("steps_per_client_round", (double)steps / clientRounds);
        Print("fedps_s_per_client_round", fedpsSeconds / clientRounds);
        Print("hand_s_per_client_round", handSeconds / clientRounds);
        Print("ratio", fedpsSeconds / handSeconds);
        Print("mean_shard_samples", meanShard);
        Print("shard_data_kb", meanShard * sampleBytes / 1024.0);
        Print("strategy_state_kb_per_client", stateBytes / 1024.0 / clientCount);
        Print("rss_loaded_mb", rssLoaded);
        Print("rss_clients_mb", rssClients);
        Print("rss_server_mb", rssServer);
        foreach (var (round, rss) in rssByRound)
        {
            Print($"rss_round_{round}_mb", rss);
        }
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / (1024.0 * 1024.0);
    }

    private static void Print(string key, double value) => Console.WriteLine(FormattableString.Invariant($"{key}={value:0.######}"));
}
