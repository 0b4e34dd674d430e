using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;

namespace FedPS.Core.Tests.Simulation;

/// <summary>Round stages in a real server's rounds: what the rounds report, and exact resume with their state.</summary>
public sealed class StagedRoundTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-stages-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static FedServer Server(IReadOnlyList<StageOptions> stages, FederatedStrategy? strategy = null, int clients = 6, double fraction = 0.5,
        Func<int, IReadOnlyList<StageOptions>>? own = null)
    {
        var train = TestData.Blobs(480, seed: 5);
        var model = new FedModel(new ModelSpec("Mlp", [1, 4, 4], 3, [8]), 1);
        var federation = FedClientData.Split(train, new IidPartitioner(), clients, 1)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 16, Steps = 3, Optimizer = OptimizerSpec.Sgd(0.1) }, own?.Invoke(d.Id)))
            .ToArray();
        return new FedServer(model, federation, strategy ?? new FedAvg(), TestData.Blobs(90, seed: 5, split: "test"), fraction, 3, stages: stages);
    }

    private static readonly StageOptions[] Everything =
    [
        new PrivacyOptions { ClipNorm = 0.5, NoiseMultiplier = 0.3, AdaptiveClip = true, ClippedCountStddev = 1 },
        new CompressionOptions { Method = CompressionMethod.TopK, Ratio = 0.2, ErrorFeedback = true },
        new AttackOptions { Kind = AttackKind.SignFlip, Count = 1 },
        new AvailabilityOptions { DropoutProbability = 0.2 },
    ];

    [Fact]
    public void A_restored_server_with_stateful_stages_continues_bit_identically()
    {
        var path = Path.Combine(folder, "staged.safetensors");
        using var straight = Server(Everything);
        using var resumed = Server(Everything);
        straight.RunRound();
        straight.RunRound();

        Checkpoint.Save(straight, path);
        Checkpoint.Restore(resumed, path);
        var a = Enumerable.Range(0, 3).Select(_ => straight.RunRound()).ToArray();
        var b = Enumerable.Range(0, 3).Select(_ => resumed.RunRound()).ToArray();

        Assert.Equal(a.Select(r => (r.TrainLoss, r.TestLoss, r.Epsilon, r.BytesUp)), b.Select(r => (r.TrainLoss, r.TestLoss, r.Epsilon, r.BytesUp)));
        Assert.Equal(Checkpoint.Fingerprint(straight.StateTensors().Select(t => t.Value)), Checkpoint.Fingerprint(resumed.StateTensors().Select(t => t.Value)));
        var compression = (UpdateCompression)straight.Stages.All.Single(s => s is UpdateCompression);
        Assert.NotEmpty(compression.ClientsWithResidual);
        Assert.Contains(straight.StateTensors(), t => t.Name.StartsWith("stage/compression/residual/", StringComparison.Ordinal));
        Assert.Contains(straight.StateTensors(), t => t.Name == "stage/privacy/clipNorm");
    }

    [Fact]
    public void An_abandoned_round_leaves_every_stage_as_it_was()
    {
        using var server = Server(Everything);
        server.RunRound();
        var before = Checkpoint.Fingerprint(server.StateTensors().Select(t => t.Value));

        using (var round = server.StartRound())
        {
            foreach (var assignment in round.Assignments)
            {
                using var update = round.Train(assignment);
                if (update is not null)
                {
                    round.Accept(update);
                }
            }

            round.Abandon();
        }

        Assert.Equal(before, Checkpoint.Fingerprint(server.StateTensors().Select(t => t.Value)));
        Assert.Equal(1, server.Round);
    }

    [Fact]
    public void Rounds_report_epsilon_compressed_bytes_and_unavailable_clients()
    {
        using var server = Server(
        [
            new PrivacyOptions { ClipNorm = 1, NoiseMultiplier = 1.0, TargetDelta = 1e-4 },
            new CompressionOptions { Method = CompressionMethod.Sign, BucketSize = 64 },
            new AvailabilityOptions { DropoutProbability = 0.5 },
        ], fraction: 1);
        var rounds = Enumerable.Range(0, 4).Select(_ => server.RunRound()).ToArray();

        Assert.All(rounds.Zip(rounds.Skip(1)), pair => Assert.True(pair.First.Epsilon < pair.Second.Epsilon));
        Assert.Equal(RdpAccountant.Epsilon(1.0, 1.0, 4, 1e-4).Epsilon, rounds[^1].Epsilon, 12);
        var wire = new SignCompression(64).WireBytes(server.Model.ParameterCount, 4);
        Assert.All(rounds, r => Assert.Equal(r.ClientResults.Count * wire, r.BytesUp));
        Assert.All(rounds, r => Assert.Equal(r.ClientResults.Count * server.Model.ParameterCount * 4, r.BytesDown));
        Assert.All(rounds, r => Assert.Equal([0, 1, 2, 3, 4, 5], r.SampledClients));
        Assert.Contains(rounds, r => r.Failures.Any(f => f.Reason == FailureReason.Unavailable));
        Assert.All(rounds, r => Assert.Equal(6, r.ClientResults.Count + r.Failures.Count));
    }

    [Fact]
    public void Late_clients_are_not_trained_and_are_reported_to_the_strategy()
    {
        // Each client takes 3 steps; with step times spread log-normally (σ = 1) around 1 s, a deadline of 3 s keeps
        // about half of them.
        using var server = Server([new AvailabilityOptions { StepTime = 1, SpeedSpread = 1, Deadline = 3 }], fraction: 1);
        var availability = (ClientAvailability)server.Stages.All.Single();
        var late = server.Clients.Where(c => 3 * availability.StepTimeOf(c.Id) > 3).Select(c => c.Id).ToArray();

        var result = server.RunRound();

        Assert.NotEmpty(late);
        Assert.Equal(late, result.Failures.Where(f => f.Reason == FailureReason.Deadline).Select(f => f.ClientId).Order());
        Assert.Equal(3.0, result.Metrics["roundSeconds"]);
        Assert.DoesNotContain(result.ClientResults, c => late.Contains(c.ClientId));
    }

    [Fact]
    public void A_clients_own_attack_and_local_privacy_apply_to_it_alone()
    {
        using var server = Server([], own: id => id == 2
            ? [new AttackOptions { Kind = AttackKind.Scale, Scale = 100 }, new PrivacyOptions { Mode = PrivacyMode.Local, ClipNorm = 0.01, NoiseMultiplier = 0 }]
            : [], fraction: 1);

        var result = server.RunRound();

        Assert.All(server.Stages.All, s => Assert.Equal([2], s.ClientIds));
        Assert.True(result.ClientResults.Single(c => c.ClientId == 2).UpdateNorm <= 0.01 + 1e-6); // scaled, then clipped
        Assert.True(result.Metrics.ContainsKey("localEpsilon"));
    }

    [Fact]
    public void Central_DP_needs_a_strategy_built_on_the_mean()
    {
        var error = Assert.Throws<FedPSException>(() => Server([new PrivacyOptions()], new Krum(new KrumOptions())));
        Assert.Contains("Krum does not aggregate through it", error.Message);
        Assert.Throws<FedPSException>(() => new FedClient(FedClientData.Split(TestData.Blobs(30, 1), new IidPartitioner(), 1, 1)[0],
            new LocalTrainingSpec(), [new CompressionOptions()]));
    }

    [Fact]
    public void Without_stages_a_round_is_what_it_was()
    {
        using var plain = Server([]);
        using var staged = Server([new AvailabilityOptions()]); // acts on nothing
        var a = plain.RunRound();
        var b = staged.RunRound();

        Assert.Equal(Checkpoint.Fingerprint(plain.Strategy.Global.Values), Checkpoint.Fingerprint(staged.Strategy.Global.Values));
        Assert.Equal(a.BytesUp, b.BytesUp);
    }
}
