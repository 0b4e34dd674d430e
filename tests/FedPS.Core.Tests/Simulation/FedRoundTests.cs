using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Simulation;

public sealed class FedRoundTests
{
    private static FedServer Server(FederatedStrategy strategy, int clients = 4, DivergencePolicy policy = DivergencePolicy.Stop, double learningRate = 0.1)
    {
        var train = TestData.Blobs(400, seed: 5);
        var model = new FedModel(new ModelSpec("Mlp", [1, 4, 4], 3, [8]), 1);
        var parts = FedClientData.Split(train, new IidPartitioner(), clients, 1)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 16, Steps = 5, Optimizer = OptimizerSpec.Sgd(learningRate) }))
            .ToArray();
        return new FedServer(model, parts, strategy, TestData.Blobs(90, seed: 5, split: "test"), seed: 1, onDivergence: policy);
    }

    private static string Fingerprint(FedServer server) => Checkpoint.Fingerprint(server.Strategy.StateTensors().Select(t => t.Value));

    [Fact]
    public void The_strategy_is_told_which_sampled_clients_failed_and_why()
    {
        var recorder = new Recorder();
        using var server = Server(recorder);
        using var round = server.StartRound();
        var updates = round.Assignments.Where(a => a.ClientId != 1).Select(a => round.Train(a)!).ToArray();
        Array.ForEach(updates, round.Accept);

        var result = round.Complete();
        Array.ForEach(updates, u => u.Dispose());

        Assert.Equal([0, 2, 3], recorder.Results);
        var failure = Assert.Single(recorder.Failures);
        Assert.Equal((1, FailureReason.Excluded), (failure.ClientId, failure.Reason));
        Assert.Equal(result.Failures, recorder.Failures);
    }

    [Fact]
    public void A_round_without_any_update_keeps_the_global_model_and_does_not_call_the_aggregation()
    {
        var recorder = new Recorder();
        using var server = Server(recorder);
        var before = Fingerprint(server);

        using var round = server.StartRound();
        var result = round.Complete();

        Assert.Equal(0, recorder.Calls);
        Assert.Equal(before, Fingerprint(server));
        Assert.Equal(4, result.Failures.Count);
        Assert.True(double.IsNaN(result.TrainLoss));
        Assert.Equal(1, server.Round);
    }

    [Fact]
    public void An_update_is_accepted_once_only_from_a_sampled_client_of_its_own_round()
    {
        using var server = Server(new FedAvg());
        using var other = Server(new FedAvg());
        using var round = server.StartRound();
        using var foreign = other.StartRound();
        using var update = round.Train(round.Assignments[0])!;
        using var stranger = foreign.Train(foreign.Assignments[0])!;
        round.Accept(update);

        Assert.Contains("already has an update", Assert.Throws<FedPSException>(() => round.Accept(update)).Message);
        Assert.Contains("not in round 1 of", Assert.Throws<FedPSException>(() => round.Accept(stranger)).Message);
        Assert.Throws<FedPSException>(() => round.Train(foreign.Assignments[1]));
    }

    [Fact]
    public void A_divergence_is_reported_at_the_step_where_the_loss_first_stopped_being_finite()
    {
        // Step 3's penalty is NaN (and so are its gradients), so step 3's update poisons the weights and step 4's loss is the first non-finite one.
        using var server = Server(new PoisonAtStep(3), clients: 2);

        var error = Assert.Throws<FedDivergenceException>(() => server.RunRound());

        Assert.Equal((0, 1, 4), (error.ClientId, error.Round, error.Step));
        Assert.Equal(0, server.Round);
        Assert.Null(server.OpenRound);
    }

    [Fact]
    public void When_every_client_diverges_under_Continue_the_round_completes_without_aggregating()
    {
        using var server = Server(new FedAvg(), clients: 2, policy: DivergencePolicy.Continue, learningRate: 1e12);
        var before = Fingerprint(server);

        var result = server.RunRound();

        Assert.Equal([FailureReason.Diverged, FailureReason.Diverged], result.Failures.Select(f => f.Reason));
        Assert.Empty(result.ClientResults);
        Assert.Equal(before, Fingerprint(server));
    }

    [Fact]
    public void A_streaming_strategy_lets_the_caller_dispose_each_update_as_soon_as_it_is_accepted()
    {
        using var streaming = Server(new FedAvg());
        using var buffered = Server(new FedMedian());

        Assert.True(streaming.StartRound().Streams);
        Assert.False(buffered.StartRound().Streams);
    }

    [Fact]
    public void The_strategy_takes_over_the_state_of_clients_that_trained_and_the_round_disposes_the_rest()
    {
        var strategy = new StatefulAverage();
        using var server = Server(strategy);
        using var round = server.StartRound();
        var updates = round.Assignments.Where(a => a.ClientId != 3).Select(a => round.Train(a)!).ToArray();
        Array.ForEach(updates, round.Accept);

        round.Complete();
        Array.ForEach(updates, u => u.Dispose());

        Assert.Equal([0, 1, 2], strategy.Kept.Select(p => p.ClientId));
        Assert.All(strategy.Kept, p => Assert.False(p.Disposed));
        Assert.True(strategy.Issued.Single(p => p.ClientId == 3).Disposed);
    }

    [Fact]
    public void An_abandoned_round_disposes_every_client_state_it_issued()
    {
        var strategy = new StatefulAverage();
        using var server = Server(strategy);
        using (var round = server.StartRound())
        {
            using var update = round.Train(round.Assignments[0])!;
        }

        Assert.Empty(strategy.Kept);
        Assert.All(strategy.Issued, p => Assert.True(p.Disposed));
    }

    /// <summary>FedAvg whose clients carry a state object, to see who owns it when.</summary>
    private sealed class StatefulAverage() : FedAvg("Stateful")
    {
        public List<StateProbe> Issued { get; } = [];

        public List<StateProbe> Kept { get; } = [];

        public override IReadOnlyList<ClientAssignment> Configure(RoundContext round) =>
            base.Configure(round).Select(a =>
            {
                var probe = new StateProbe(a.ClientId);
                Issued.Add(probe);
                return new ClientAssignment(round, a.Client, a.Start) { ClientState = probe };
            }).ToArray();

        public override void CompleteRound(RoundContext round, IReadOnlyList<ClientAssignment> trained) =>
            Kept.AddRange(trained.Select(a => (StateProbe)a.ClientState!));
    }

    private sealed class StateProbe(int clientId) : IDisposable
    {
        public int ClientId { get; } = clientId;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    /// <summary>FedAvg, remembering what it was told.</summary>
    private sealed class Recorder : FederatedStrategy
    {
        public List<int> Results { get; } = [];

        public List<ClientFailure> Failures { get; } = [];

        public int Calls { get; private set; }

        public override ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures)
        {
            Calls++;
            Results.AddRange(results.Select(r => r.ClientId));
            Failures.AddRange(failures);
            return RunningAverage.Of(results.Select(r => r.Parameters).ToArray(), results.Select(r => (double)r.SampleCount).ToArray());
        }
    }

    /// <summary>FedAvg whose clients add a penalty that is NaN at one step.</summary>
    private sealed class PoisonAtStep(int step) : FedAvg("Poison")
    {
        public override IReadOnlyList<ClientAssignment> Configure(RoundContext round) =>
            base.Configure(round).Select(a =>
            {
                var calls = 0;
                return new ClientAssignment(round, a.Client, a.Start) { Penalty = module => ++calls == step ? module.parameters().First().sum().mul(float.NaN) : zeros([]) };
            }).ToArray();
    }
}
