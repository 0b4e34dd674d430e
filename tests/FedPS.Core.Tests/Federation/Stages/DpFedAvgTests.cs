using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;
using FedPS.Core.Federation.Strategies;
using static FedPS.Core.Tests.Federation.Stages.StageKit;

namespace FedPS.Core.Tests.Federation.Stages;

public sealed class DpFedAvgTests
{
    private static DpFedAvg Stage(PrivacyOptions options, int clients = 8, int perRound = 4, FederatedStrategy? strategy = null)
    {
        var stage = new DpFedAvg(options);
        stage.Initialize(Setup(Clients(clients), perRound, strategy));
        return stage;
    }

    [Fact]
    public void Clips_each_update_and_averages_unweighted_over_the_clients_sampled()
    {
        // S = 1, z = 0. Client 0 moves by (3, 4): norm 5, clipped to (0.6, 0.8). Client 1 moves by (0.3, 0.4): norm 0.5,
        // kept. Four clients were sampled (two never arrived): Δ̄ = ((0.6, 0.8) + (0.3, 0.4)) / 4 = (0.225, 0.3), whatever
        // the sample counts (100 and 1).
        using var stage = Stage(new PrivacyOptions { ClipNorm = 1, NoiseMultiplier = 0 });
        var clients = Clients(2);
        using var round = Round(1, clients, absent: 2);
        using var global = Set(1, 1);
        using var a = Update(0, [1, 1], [4, 5], samples: 100);
        using var b = Update(1, [1, 1], [1.3, 1.4], samples: 1);

        using var mean = stage.BeginMean(round, global);
        mean.Add(a);
        mean.Add(b);
        using var result = mean.Mean();

        Close([1.225, 1.3], Values(result));
    }

    [Fact]
    public void Adds_noise_of_standard_deviation_z_S_over_n()
    {
        // z = 2, S = 0.5, n = 4: σ = z·S/n = 0.25. Every client sends the global model back, so the mean minus the global
        // model is the noise alone: over 40,000 coordinates its sample standard deviation has a standard error of
        // σ/√(2·40,000) ≈ 0.0009; the check allows five of those.
        using var stage = Stage(new PrivacyOptions { ClipNorm = 0.5, NoiseMultiplier = 2 });
        var clients = Clients(4);
        using var round = Round(3, clients);
        var zeros = new double[40_000];
        using var global = Set(zeros);
        using var mean = stage.BeginMean(round, global);
        foreach (var client in clients)
        {
            using var update = Update(client.Id, zeros, zeros);
            mean.Add(update);
        }

        using var result = mean.Mean();
        var (average, std) = Moments(Values(result));

        Assert.InRange(std, 0.25 - (5 * 0.25 / Math.Sqrt(80_000)), 0.25 + (5 * 0.25 / Math.Sqrt(80_000)));
        Assert.InRange(average, -5 * 0.25 / 200, 5 * 0.25 / 200);
    }

    [Fact]
    public void The_same_seed_and_round_give_the_same_noise()
    {
        double[] Draw(int number)
        {
            using var stage = Stage(new PrivacyOptions { NoiseMultiplier = 1 });
            var clients = Clients(1);
            using var round = Round(number, clients);
            using var global = Set(0, 0, 0);
            using var update = Update(0, [0, 0, 0], [0, 0, 0]);
            using var mean = stage.BeginMean(round, global);
            mean.Add(update);
            using var result = mean.Mean();
            return Values(result);
        }

        Assert.Equal(Draw(2), Draw(2));
        Assert.NotEqual(Draw(2), Draw(3));
    }

    [Fact]
    public void Adaptive_clipping_moves_the_clip_norm_geometrically_towards_the_quantile()
    {
        // S = 1, γ = 0.5, η = 0.2, no noise. Norms 0.5, 0.5 and 5: two of three unclipped, n = 3,
        // b̃ = (2 − 1.5)/3 + 0.5 = 2/3, so S ← exp(−0.2·(2/3 − 1/2)) = exp(−1/30).
        using var stage = Stage(new PrivacyOptions { NoiseMultiplier = 0, AdaptiveClip = true, ClippedCountStddev = 0 }, perRound: 3);
        var clients = Clients(3);
        using var round = Round(1, clients);
        using var global = Set(0);
        using var mean = stage.BeginMean(round, global);
        foreach (var (client, end) in clients.Zip(new[] { 0.5, -0.5, 5 }))
        {
            using var update = Update(client.Id, [0], [end]);
            mean.Add(update);
        }

        mean.Mean().Dispose();
        Assert.Equal(1.0, stage.ClipNorm); // nothing changes before the round completes
        var metrics = new Dictionary<string, double>();
        stage.CompleteRound(round, metrics);

        Assert.Equal(Math.Exp(-1.0 / 30), stage.ClipNorm, 12);
        Assert.Equal(1.0, metrics["clipNorm"]);
        Assert.Equal(2.0 / 3, metrics["unclippedFraction"], 12);
    }

    [Fact]
    public void Adaptive_clipping_raises_the_update_noise_so_the_round_spends_z()
    {
        // z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2): z = 1, σ_b = 1 gives (1 − 1/4)^(−1/2) = 2/√3.
        Assert.Equal(2 / Math.Sqrt(3), AdaptiveClipping.ValueNoiseMultiplier(1, 1), 12);
        using var stage = Stage(new PrivacyOptions { NoiseMultiplier = 1, AdaptiveClip = true, ClippedCountStddev = 1 });
        Assert.Equal(2 / Math.Sqrt(3), stage.ValueNoiseMultiplier, 12);

        var error = Assert.Throws<FedPSException>(() => Stage(new PrivacyOptions { NoiseMultiplier = 1, AdaptiveClip = true }, perRound: 4));
        Assert.Contains("ClippedCountStddev above z/2 = 0.5 (got 0.2", error.Message);
    }

    [Fact]
    public void Each_completed_round_composes_one_subsampled_Gaussian_mechanism()
    {
        // 8 clients, 2 per round: q = 0.25.
        using var stage = Stage(new PrivacyOptions { NoiseMultiplier = 1.1, TargetDelta = 1e-5 }, clients: 8, perRound: 2);
        var clients = Clients(2);
        var reported = new List<double>();
        for (var number = 1; number <= 3; number++)
        {
            using var round = Round(number, clients);
            var metrics = new Dictionary<string, double>();
            stage.CompleteRound(round, metrics);
            reported.Add(metrics["epsilon"]);
            Assert.Equal(RdpAccountant.Epsilon(0.25, 1.1, number, 1e-5).Epsilon, metrics["epsilon"], 12);
        }

        Assert.True(reported[0] < reported[1] && reported[1] < reported[2]);
        Assert.Equal(3, stage.Rounds);
    }

    [Fact]
    public void An_abandoned_round_changes_nothing()
    {
        using var stage = Stage(new PrivacyOptions { NoiseMultiplier = 0, AdaptiveClip = true, ClippedCountStddev = 0 }, perRound: 1);
        var clients = Clients(1);
        using var round = Round(1, clients);
        using var global = Set(0);
        using (var mean = stage.BeginMean(round, global))
        {
            using var update = Update(0, [0], [9]);
            mean.Add(update);
            mean.Mean().Dispose();
        }

        stage.AbandonRound(round);
        Assert.Equal(1.0, stage.ClipNorm);
        Assert.Equal(0, stage.Rounds);
    }

    [Fact]
    public void Refuses_strategies_that_do_not_aggregate_through_the_mean()
    {
        var error = Assert.Throws<FedPSException>(() => Stage(new PrivacyOptions(), perRound: 4, strategy: new FedMedian()));
        Assert.Contains("FedMedian does not aggregate through it", error.Message);
        Assert.Throws<FedPSException>(() => Stage(new PrivacyOptions(), perRound: 4, strategy: new Done(new DoneOptions())));
    }

    [Theory]
    [InlineData(0.0, 1.0, 1e-5, "ClipNorm must be positive and finite (got 0)")]
    [InlineData(-1.0, 1.0, 1e-5, "ClipNorm must be positive and finite (got -1)")]
    [InlineData(1.0, -0.5, 1e-5, "NoiseMultiplier must be non-negative and finite (got -0.5)")]
    [InlineData(1.0, 1.0, 0.0, "TargetDelta must be in (0, 1) (got 0)")]
    [InlineData(1.0, 1.0, 1.0, "TargetDelta must be in (0, 1) (got 1)")]
    public void Bad_knobs_are_named_with_their_value(double clip, double noise, double delta, string message)
    {
        var error = Assert.Throws<FedPSException>(() => new PrivacyOptions { ClipNorm = clip, NoiseMultiplier = noise, TargetDelta = delta }.Validated());
        Assert.Equal(message + ".", error.Message);
    }
}
