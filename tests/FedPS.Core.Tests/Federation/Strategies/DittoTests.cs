using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class DittoTests : IDisposable
{
    private const double LearningRate = 0.1;
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-ditto-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // Two clients; one full-batch plain SGD step per pass, so a pass is exactly v − η·(∇F_k(v) + λ(v − w)).
    private static FedServer Server(FederatedStrategy strategy, int steps = 1, double fraction = 1)
    {
        var model = new FedModel(new ModelSpec("Mlp", [1, 4, 4], 3, [8]), seed: 2);
        var clients = FedClientData.Split(TestData.Blobs(120, seed: 5), new DirichletPartitioner(0.5), 3, 1)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 1000, Steps = steps, Optimizer = OptimizerSpec.Sgd(LearningRate) }))
            .ToArray();
        return new FedServer(model, clients, strategy, TestData.Blobs(60, seed: 5, split: "test"), fraction, seed: 3);
    }

    private static float[] Flat(ParameterSet set) => set.Values.SelectMany(v => v.cpu().data<float>().ToArray()).ToArray();

    // The hand-worked personal step: v − η·(g + λ(v − w)), element by element.
    private static float[] PersonalStep(float[] v, float[] w, float[] gradient, double lambda) =>
        v.Select((x, i) => (float)(x - (LearningRate * (gradient[i] + (lambda * (x - w[i])))))).ToArray();

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(10.0)]
    public void Each_personal_step_is_v_minus_eta_times_the_gradient_plus_lambda_times_v_minus_w(double lambda)
    {
        using var server = Server(new Ditto(new DittoOptions { Lambda = lambda }));
        var ditto = (Ditto)server.Strategy;
        var w0 = Flat(ditto.Global);
        var gradients0 = server.Clients.Select(c => { using var g = server.Trainer.Gradient(c, ditto.Global, c.SampleCount, 0, 0); return Flat(g); }).ToArray();

        server.RunRound();

        // Round 1: v⁰ = w⁰, so the pull vanishes and each v¹_k is one plain step from w⁰.
        foreach (var client in server.Clients)
        {
            AssertClose(PersonalStep(w0, w0, gradients0[client.Id], lambda), Flat(ditto.ParametersFor(client.Id)));
        }

        var w1 = Flat(ditto.Global);
        var v1 = server.Clients.Select(c => Flat(ditto.ParametersFor(c.Id))).ToArray();
        var gradients1 = server.Clients.Select(c => { using var g = server.Trainer.Gradient(c, ditto.ParametersFor(c.Id), c.SampleCount, 0, 0); return Flat(g); }).ToArray();

        server.RunRound();

        // Round 2: v² = v¹ − η(∇F_k(v¹) + λ(v¹ − w¹)), pulled towards the global model the client received.
        foreach (var client in server.Clients)
        {
            AssertClose(PersonalStep(v1[client.Id], w1, gradients1[client.Id], lambda), Flat(ditto.ParametersFor(client.Id)));
        }
    }

    [Fact]
    public void The_global_model_is_exactly_FedAvgs_and_only_it_travels()
    {
        using var ditto = Server(new Ditto(new DittoOptions { Lambda = 1, PersonalSteps = 3 }), steps: 2);
        using var fedAvg = Server(new FedAvg(), steps: 2);

        var a = Enumerable.Range(0, 3).Select(_ => ditto.RunRound()).ToArray();
        var b = Enumerable.Range(0, 3).Select(_ => fedAvg.RunRound()).ToArray();

        Assert.Equal(Checkpoint.Fingerprint(fedAvg.Strategy.Global.Values), Checkpoint.Fingerprint(ditto.Strategy.Global.Values));
        Assert.Equal(b.Select(r => r.TrainLoss), a.Select(r => r.TrainLoss));
        Assert.Equal(b.Select(r => (r.BytesUp, r.BytesDown)), a.Select(r => (r.BytesUp, r.BytesDown)));
        Assert.NotEqual(b[^1].TestLoss, a[^1].TestLoss); // evaluated with the personal models
    }

    [Fact]
    public void Personal_models_are_evaluated_per_client_and_the_global_loss_is_their_mean()
    {
        using var server = Server(new Ditto(new DittoOptions { Lambda = 0.1, PersonalSteps = 4 }), steps: 2);
        using var open = server.StartRound();
        Assert.All(open.Assignments, a => Assert.StartsWith("personal pass: 4 steps, λ=0.1", a.Detail));
        var updates = open.Assignments.Select(a => open.Train(a)!).ToArray();
        foreach (var update in updates)
        {
            open.Accept(update);
        }

        var round = open.Complete();

        var perClient = server.MeasureClients(data: server.TestData).ToArray();

        Assert.Equal(perClient.Average(m => m.Loss), round.TestLoss, 12);
        Assert.NotEqual(perClient[0].Loss, perClient[1].Loss);
    }

    [Fact]
    public void Unsampled_clients_keep_their_personal_model_and_an_abandoned_round_changes_nothing()
    {
        using var server = Server(new Ditto(new DittoOptions { Lambda = 0.1 }), fraction: 0.34);
        var ditto = (Ditto)server.Strategy;
        var before = server.Clients.Select(c => Flat(ditto.ParametersFor(c.Id))).ToArray();

        var open = server.StartRound();
        var sampled = open.Assignments.Select(a => a.ClientId).ToHashSet();
        open.Abandon();

        Assert.Equal(before, server.Clients.Select(c => Flat(ditto.ParametersFor(c.Id))));
        server.RunRound();
        foreach (var client in server.Clients)
        {
            var changed = !before[client.Id].SequenceEqual(Flat(ditto.ParametersFor(client.Id)));
            Assert.Equal(sampled.Contains(client.Id), changed);
        }
    }

    [Fact]
    public void A_restored_server_continues_bit_identically_personal_models_included()
    {
        var path = Path.Combine(folder, "ditto.safetensors");
        using var straight = Server(new Ditto(new DittoOptions { Lambda = 0.5, PersonalSteps = 2 }), steps: 2, fraction: 0.67);
        using var resumed = Server(new Ditto(new DittoOptions { Lambda = 0.5, PersonalSteps = 2 }), steps: 2, fraction: 0.67);
        straight.RunRound();
        straight.RunRound();

        Checkpoint.Save(straight, path);
        Checkpoint.Restore(resumed, path);
        var a = Enumerable.Range(0, 2).Select(_ => straight.RunRound().TestLoss).ToArray();
        var b = Enumerable.Range(0, 2).Select(_ => resumed.RunRound().TestLoss).ToArray();

        Assert.Equal(a, b);
        Assert.Equal(Checkpoint.Fingerprint(straight.Strategy.StateTensors().Select(t => t.Value)),
            Checkpoint.Fingerprint(resumed.Strategy.StateTensors().Select(t => t.Value)));
        Assert.Contains(straight.Strategy.StateTensors(), t => t.Name.StartsWith("personal/2/", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<FedPSException>(() => new Ditto(new DittoOptions { Lambda = -1 }));
        Assert.Throws<FedPSException>(() => new Ditto(new DittoOptions { PersonalSteps = 0 }));
        Assert.Equal("Ditto", StrategyCatalog.Create("Ditto").Name);
    }
}
