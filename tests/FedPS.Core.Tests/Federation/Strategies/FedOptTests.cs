using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class FedOptTests
{
    private static ParameterSet Set(params float[] values) => new([("w", tensor(values))]);

    private static ClientUpdate Update(int samples, params float[] values) => new()
    {
        ClientId = samples,
        SampleCount = samples,
        Parameters = Set(values),
        TrainLoss = 0,
        Steps = 1,
    };

    /// <summary>Reddi et al. 2021, Algorithm 2, in plain doubles: two rounds from θ = (1, −2).</summary>
    private static double[] Expected(ServerMomentRule rule, ServerOptimizerOptions o, double[][] averages)
    {
        double[] theta = [1, -2];
        double[] m = [0, 0];
        double[] v = [o.Tau * o.Tau, o.Tau * o.Tau];
        foreach (var average in averages)
        {
            for (var i = 0; i < theta.Length; i++)
            {
                var delta = average[i] - theta[i];
                m[i] = (o.Beta1 * m[i]) + ((1 - o.Beta1) * delta);
                v[i] = rule == ServerMomentRule.Adam
                    ? (o.Beta2 * v[i]) + ((1 - o.Beta2) * delta * delta)
                    : v[i] - ((1 - o.Beta2) * delta * delta * Math.Sign(v[i] - (delta * delta)));
                theta[i] += o.LearningRate * m[i] / (Math.Sqrt(v[i]) + o.Tau);
            }
        }

        return theta;
    }

    [Theory]
    [InlineData(ServerMomentRule.Adam)]
    [InlineData(ServerMomentRule.Yogi)]
    public void The_server_step_equals_the_formula_on_hand_made_tensors(ServerMomentRule rule)
    {
        var options = new ServerOptimizerOptions(LearningRate: 0.1, Beta1: 0.9, Beta2: 0.99, Tau: 0.01);
        using var strategy = new FedOpt(rule, options);
        using var initial = Set(1f, -2f);
        strategy.Initialize(initial, []);

        // Round 1: clients at (2, −2) with 1 sample and (1, 1) with 3: weighted mean (1.25, 0.25).
        using (var a = Update(1, 2f, -2f))
        using (var b = Update(3, 1f, 1f))
        {
            strategy.Aggregate([a, b], 1);
        }

        var afterOne = strategy.Global.Tensors[0].Value.data<float>().ToArray();
        using (var c = Update(1, 0.5f, -1f))
        {
            strategy.Aggregate([c], 2);
        }

        var expected = Expected(rule, options, [[1.25, 0.25], [0.5, -1]]);
        var actual = strategy.Global.Tensors[0].Value.data<float>().ToArray();
        Assert.Equal(strategy.Name, "Fed" + rule);
        Assert.NotEqual(1f, afterOne[0]);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void The_server_moments_are_part_of_the_checkpoint_state()
    {
        using var strategy = new FedOpt(ServerMomentRule.Adam, new ServerOptimizerOptions());
        using var initial = Set(1f, -2f);
        strategy.Initialize(initial, []);
        using (var a = Update(1, 2f, 0f))
        {
            strategy.Aggregate([a], 1);
        }

        var saved = strategy.StateTensors().ToDictionary(t => t.Name, t => t.Value.clone());
        using var restored = new FedOpt(ServerMomentRule.Adam, new ServerOptimizerOptions());
        restored.Initialize(initial, []);
        restored.LoadStateTensors(saved);

        Assert.Equal(["global/w", "server/m/w", "server/v/w"], saved.Keys.Order());
        Assert.All(strategy.StateTensors().Zip(restored.StateTensors()),
            pair => Assert.True(pair.First.Value.equal(pair.Second.Value).all().item<bool>(), pair.First.Name));
    }
}
