using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class FedSophiaTests
{
    private const int Rounds = 5;

    /// <summary>
    /// Measured on this seed: FedSophia [1.9367, 1.2949, 0.7292, 0.4299, 0.3092] vs FedAvg with the best SGD
    /// learning rate of 0.03, 0.1, 0.3, 1.0: [2.1158, 1.8081, 1.4301, 1.1082, 0.8643]: ratios 0.92, 0.72, 0.51, 0.39, 0.36 per round, 0.64 on the sum.
    /// The test asserts at most 0.85 from round 2 on and on the sum — well inside, yet far from "any improvement".
    /// </summary>
    private const double Margin = 0.85;

    private static readonly Lazy<FedDataset> Digits = new(() => DatasetCatalog.Get("digits").Load("train", CPU));

    private static FedServer DigitsServer(FederatedStrategy strategy, OptimizerSpec optimizer, int seed = 3)
    {
        var model = new FedModel(new ModelSpec("Mlp", Digits.Value.Shape, Digits.Value.ClassCount, [64]), seed);
        var clients = FedClientData.Split(Digits.Value, new DirichletPartitioner(0.5), 5, seed)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 32, Steps = 10, Optimizer = optimizer }))
            .ToArray();
        return new FedServer(model, clients, strategy, seed: seed);
    }

    /// <summary>The global model's loss on the whole training set after each of <see cref="Rounds"/> rounds.</summary>
    private static double[] LossCurve(FederatedStrategy strategy, OptimizerSpec optimizer)
    {
        using var server = DigitsServer(strategy, optimizer);
        return Enumerable.Range(0, Rounds).Select(_ =>
        {
            server.RunRound();
            return server.MeasureGlobal(Digits.Value).Loss;
        }).ToArray();
    }

    [Fact]
    public void FedSophia_reduces_the_loss_faster_per_round_than_FedAvg_with_sgd_at_equal_local_steps()
    {
        // FedAvg gets the best of a small SGD grid; FedSophia runs the default Sophia at one learning rate.
        var sgd = new[] { 0.03, 0.1, 0.3, 1.0 }
            .Select(lr => LossCurve(new FedAvg(), OptimizerSpec.Sgd(lr)))
            .MinBy(curve => curve.Sum())!;
        var sophia = LossCurve(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(0.01));

        var curves = $"FedSophia [{string.Join(", ", sophia.Select(v => v.ToString("F4")))}] vs " +
            $"FedAvg(SGD) [{string.Join(", ", sgd.Select(v => v.ToString("F4")))}]";
        Assert.True(sophia.Sum() < sgd.Sum() * Margin, curves);
        for (var r = 1; r < Rounds; r++)
        {
            Assert.True(sophia[r] < sgd[r] * Margin, $"round {r + 1}: {curves}");
        }
    }


    [Fact]
    public void Each_client_carries_its_Sophia_state_across_rounds_unless_reset()
    {
        using var carried = DigitsServer(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(0.01));
        using var reset = DigitsServer(new FedSophia(new FedSophiaOptions { ResetOptimizerState = true }), OptimizerSpec.Sophia(0.01));
        carried.RunRound();
        carried.RunRound();
        reset.RunRound();
        reset.RunRound();

        Assert.Equal(Enumerable.Repeat(20L, 5), Steps(carried));
        Assert.Empty(Steps(reset));
        Assert.True(carried.RunRound().Metrics[Sophia.WinRateMetric] is > 0 and <= 1);

        static List<long> Steps(FedServer server) => server.Strategy.StateTensors()
            .Where(t => t.Name.EndsWith("/sophia/steps", StringComparison.Ordinal)).Select(t => t.Value.item<long>()).ToList();
    }

    [Fact]
    public void The_saved_state_restores_every_client_s_Sophia_state()
    {
        using var server = DigitsServer(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(0.01));
        server.RunRound();
        var saved = server.Strategy.StateTensors().ToDictionary(t => t.Name, t => t.Value.clone());
        using var restored = DigitsServer(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(0.01));
        restored.Strategy.LoadStateTensors(saved);

        var again = restored.Strategy.StateTensors().ToDictionary(t => t.Name, t => t.Value);
        Assert.Equal(saved.Keys.Order(), again.Keys.Order());
        Assert.Contains(saved.Keys, k => k.StartsWith("client/", StringComparison.Ordinal) && k.Contains("/sophia/h/"));
        Assert.All(saved, e => Assert.True(e.Value.equal(again[e.Key]).all().item<bool>(), e.Key));
    }

    [Fact]
    public void An_abandoned_round_leaves_every_client_s_Sophia_state_as_it_was()
    {
        using var server = DigitsServer(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(0.01));
        server.RunRound();
        var before = server.Strategy.StateTensors().ToDictionary(t => t.Name, t => t.Value.clone());

        using (var round = server.StartRound())
        {
            foreach (var assignment in round.Assignments.Take(3))
            {
                using var update = round.Train(assignment);
            }
        }

        Assert.Equal(1, server.Round);
        Assert.All(server.Strategy.StateTensors(), t => Assert.True(t.Value.equal(before[t.Name]).all().item<bool>(), t.Name));
    }

    [Fact]
    public void Clients_without_a_Sophia_optimizer_are_rejected()
    {
        var error = Assert.Throws<FedPSException>(() => DigitsServer(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sgd(0.1)));
        Assert.Contains("New-FedOptimizer Sophia", error.Message);
    }
}
