using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Experiments;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Primitives;
using FedPS.Core.Simulation;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation;

public sealed class GradientClippingTests
{
    private const int Steps = 6;
    private const double LearningRate = 0.1;

    /// <summary>One SGD step (lr 1) on the loss c·w with c = (3, 4): the gradient is c, of norm 5.</summary>
    private static (float[] W, IReadOnlyDictionary<string, double> Metrics) OneStep(double? limit)
    {
        var w = new Parameter(zeros(2));
        using var update = new OptimizerUpdate(OptimizerSpec.Sgd(1.0).Create([w]), [w], limit);
        using var c = tensor(new float[] { 3, 4 });
        update.Step(w.mul(c).sum(), new Minibatch(null!, c, c, new TorchSharp.torch.Generator(1)));
        return (w.detach().data<float>().ToArray(), update.CollectMetrics());
    }

    [Fact]
    public void A_gradient_above_the_limit_is_scaled_to_it_and_one_below_is_left_alone()
    {
        var (clipped, clippedMetrics) = OneStep(limit: 1.0);
        var (free, freeMetrics) = OneStep(limit: 10.0);
        var (none, noMetrics) = OneStep(limit: null);

        Assert.Equal(-0.6f, clipped[0], 1e-5f);
        Assert.Equal(-0.8f, clipped[1], 1e-5f);
        Assert.Equal([-3f, -4f], free);
        Assert.Equal([-3f, -4f], none);
        Assert.Equal(1.0, clippedMetrics[OptimizerUpdate.ClipRateMetric]);
        Assert.Equal(0.0, freeMetrics[OptimizerUpdate.ClipRateMetric]);
        Assert.False(noMetrics.ContainsKey(OptimizerUpdate.ClipRateMetric));
    }

    private static FedServer Server(FederatedStrategy strategy, OptimizerSpec optimizer, double? limit)
    {
        var train = TestData.Blobs(400, seed: 4);
        var model = new FedModel(new ModelSpec("Mlp", [1, 4, 4], 3, [16]), 2);
        var clients = FedClientData.Split(train, new IidPartitioner(), 4, 2)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 16, Steps = Steps, Optimizer = optimizer, MaxGradientNorm = limit }))
            .ToArray();
        return new FedServer(model, clients, strategy, seed: 2);
    }

    private static double Distance(ParameterSet a, ParameterSet b) =>
        Math.Sqrt(a.Names.Sum(n => a[n].sub(b[n]).pow(2).sum().item<float>()));

    [Fact]
    public void In_a_round_every_step_moves_at_most_learning_rate_times_the_limit()
    {
        const double limit = 1e-3;
        using var server = Server(new FedAvg(), OptimizerSpec.Sgd(LearningRate), limit);
        using var before = server.Strategy.Global.Clone();

        var round = server.RunRound();

        // Each client's K plain SGD steps with gradients of norm ≤ limit move it at most K·lr·limit; so does their average.
        var moved = Distance(before, server.Strategy.Global);
        Assert.InRange(moved, 1e-9, Steps * LearningRate * limit * (1 + 1e-4));
        Assert.Equal(1.0, round.Metrics[OptimizerUpdate.ClipRateMetric]);
    }

    [Fact]
    public void FedSophia_clients_with_carried_state_are_clipped_too()
    {
        using var clipped = Server(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(1e-3), limit: 1e-6);
        using var free = Server(new FedSophia(new FedSophiaOptions()), OptimizerSpec.Sophia(1e-3), limit: null);

        var withClip = clipped.RunRound();
        var without = free.RunRound();

        Assert.Equal(1.0, withClip.Metrics[OptimizerUpdate.ClipRateMetric]);
        Assert.False(without.Metrics.ContainsKey(OptimizerUpdate.ClipRateMetric));
        Assert.NotEqual(0.0, Distance(clipped.Strategy.Global, free.Strategy.Global));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_limit_that_is_not_a_positive_number_is_refused(double limit)
    {
        var ex = Assert.Throws<FedPSException>(() => new LocalTrainingSpec { MaxGradientNorm = limit }.Validated());
        Assert.Contains("MaxGradientNorm", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_sets_the_limit_under_training()
    {
        const string Yaml = """
            dataset: digits
            training: { steps: 5, maxGradientNorm: 0.5 }
            """;

        var spec = ExperimentConfig.Parse(Yaml, "c.yaml").Expand().Runs.Single().Spec;
        Assert.Equal(0.5, spec.CreateLocalTraining().MaxGradientNorm);

        var ex = Assert.Throws<ExperimentConfigException>(() => ExperimentConfig.Parse(Yaml.Replace("0.5", "-2", StringComparison.Ordinal), "c.yaml").Expand());
        Assert.Contains("MaxGradientNorm", ex.Message, StringComparison.Ordinal);
    }
}
