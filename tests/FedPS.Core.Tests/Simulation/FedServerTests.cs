using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;

namespace FedPS.Core.Tests.Simulation;

public sealed class FedServerTests
{
    private static FedServer Server(int seed = 1, double learningRate = 0.1, double sampleFraction = 1.0, string architecture = "Mlp")
    {
        var train = TestData.Blobs(600, seed: 11);
        var test = TestData.Blobs(300, seed: 11, split: "test");
        var model = new FedModel(new ModelSpec(architecture, [1, 4, 4], 3, [16]), seed);
        var clients = FedClientData.Split(train, new DirichletPartitioner(1.0), 4, seed)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 16, Optimizer = OptimizerSpec.Sgd(learningRate) }))
            .ToArray();
        return new FedServer(model, clients, new FedAvg(), test, sampleFraction, seed);
    }

    [Fact]
    public void FedAvg_rounds_reduce_the_test_loss()
    {
        using var server = Server();
        var before = server.MeasureGlobal(server.TestData!).Loss;

        var results = Enumerable.Range(0, 3).Select(_ => server.RunRound()).ToArray();

        Assert.Equal([1, 2, 3], results.Select(r => r.Round));
        Assert.True(results[^1].TestLoss < 0.7 * before, $"loss {before} -> {results[^1].TestLoss}");
        Assert.True(results[^1].TestAccuracy > 0.8, $"accuracy {results[^1].TestAccuracy}");
    }

    [Fact]
    public void Bytes_are_counted_per_sampled_client_in_both_directions()
    {
        using var server = Server(sampleFraction: 0.5);
        var result = server.RunRound();
        var modelBytes = server.Model.ParameterCount * sizeof(float);

        Assert.Equal(2, result.SampledClients.Length);
        Assert.Equal(2 * modelBytes, result.BytesUp);
        Assert.Equal(2 * modelBytes, result.BytesDown);
    }

    [Fact]
    public void The_same_seed_gives_identical_parameters()
    {
        using var a = Server(seed: 5, architecture: "Cnn");
        using var b = Server(seed: 5, architecture: "Cnn");
        a.RunRound();
        b.RunRound();

        Assert.All(a.Strategy.Global.Tensors.Zip(b.Strategy.Global.Tensors),
            pair => Assert.True(pair.First.Value.equal(pair.Second.Value).all().item<bool>(), pair.First.Name));
    }

    [Fact]
    public void A_cancelled_round_leaves_the_server_as_it_was()
    {
        using var server = Server();
        server.RunRound();
        using var before = server.Strategy.Global.Clone();
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(p => { if (p.ClientIndex == 1) { cancel.Cancel(); } });

        Assert.ThrowsAny<OperationCanceledException>(() => server.RunRound(progress, cancel.Token));

        Assert.Equal(1, server.Round);
        Assert.All(before.Tensors.Zip(server.Strategy.Global.Tensors),
            pair => Assert.True(pair.First.Value.equal(pair.Second.Value).all().item<bool>(), pair.First.Name));
    }

    [Fact]
    public void A_diverging_client_stops_the_run_naming_client_and_round()
    {
        using var server = Server(learningRate: 1e12);

        var error = Assert.Throws<FedDivergenceException>(() => { server.RunRound(); server.RunRound(); });

        Assert.Equal(FedErrorKind.Diverged, error.Kind);
        Assert.Contains($"client {error.ClientId}", error.Message);
        Assert.Contains($"round {error.Round}", error.Message);
        Assert.Equal(error.Round - 1, server.Round);
    }

    [Fact]
    public void With_OnDivergence_Continue_a_diverging_client_is_dropped_and_recorded()
    {
        var train = TestData.Blobs(600, seed: 11);
        var model = new FedModel(new ModelSpec("Mlp", [1, 4, 4], 3, [16]), 1);
        var clients = FedClientData.Split(train, new IidPartitioner(), 4, 1)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 16, Optimizer = OptimizerSpec.Sgd(d.Id == 2 ? 1e12 : 0.1) }))
            .ToArray();
        using var server = new FedServer(model, clients, new FedAvg(), onDivergence: DivergencePolicy.Continue);

        var results = new[] { server.RunRound(), server.RunRound() };

        Assert.All(results, r => Assert.Equal([2], r.DroppedClients));
        Assert.All(results, r => Assert.Equal(FailureReason.Diverged, Assert.Single(r.Failures).Reason));
        Assert.All(results, r => Assert.Equal(4, r.SampledClients.Length));
        Assert.True(server.Strategy.Global.AllFinite());
        Assert.Equal(2, server.Round);
    }

    [Fact]
    public void A_model_that_does_not_fit_the_data_is_rejected_with_both_shapes()
    {
        var train = TestData.Blobs(40, seed: 2);
        var model = new FedModel(new ModelSpec("Mlp", [1, 28, 28], 10, [8]), 0);
        var clients = FedClientData.Split(train, new IidPartitioner(), 2, 0)
            .Select(d => new FedClient(d, new LocalTrainingSpec())).ToArray();

        var error = Assert.Throws<FedPSException>(() => new FedServer(model, clients, new FedAvg()));

        Assert.Contains("1×28×28", error.Message);
        Assert.Contains("1×4×4", error.Message);
    }

    private sealed class Progress(Action<RoundProgress> report) : IProgress<RoundProgress>
    {
        public void Report(RoundProgress value) => report(value);
    }
}
