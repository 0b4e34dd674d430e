using FedPS.Core;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class FedOptTests
{
    private static ParameterSet Set(params float[] values) => Updates.Set32(values);

    private static ClientUpdate Update(int samples, params float[] values) => Updates.Of32(samples, samples, values);

    /// <summary>Reddi et al. 2021, Algorithm 2, in plain doubles: two rounds from θ = (1, −2).</summary>
    private static double[] Expected(ServerMomentRule rule, FedOptOptions o, double[][] averages)
    {
        double[] theta = [1, -2];
        double[] m = [0, 0];
        double[] v = [o.Tau * o.Tau, o.Tau * o.Tau];
        foreach (var average in averages)
        {
            for (var i = 0; i < theta.Length; i++)
            {
                var delta = average[i] - theta[i];
                m[i] = (o.ServerBeta1 * m[i]) + ((1 - o.ServerBeta1) * delta);
                v[i] = rule switch
                {
                    ServerMomentRule.Adagrad => v[i] + (delta * delta),
                    ServerMomentRule.Adam => (o.ServerBeta2 * v[i]) + ((1 - o.ServerBeta2) * delta * delta),
                    _ => v[i] - ((1 - o.ServerBeta2) * delta * delta * Math.Sign(v[i] - (delta * delta))),
                };
                theta[i] += o.ServerLearningRate * m[i] / (Math.Sqrt(v[i]) + o.Tau);
            }
        }

        return theta;
    }

    [Theory]
    [InlineData(ServerMomentRule.Adagrad)]
    [InlineData(ServerMomentRule.Adam)]
    [InlineData(ServerMomentRule.Yogi)]
    public void The_server_step_equals_the_formula_on_hand_made_tensors(ServerMomentRule rule)
    {
        var options = new FedOptOptions { ServerLearningRate = 0.1, ServerBeta1 = 0.9, ServerBeta2 = 0.99, Tau = 0.01 };
        using var strategy = new FedOpt(rule, options);
        using var initial = Set(1f, -2f);
        strategy.Initialize(initial, [], 2);

        // Round 1: clients at (2, −2) with 1 sample and (1, 1) with 3: weighted mean (1.25, 0.25).
        Updates.Aggregate(strategy, 1, Update(1, 2f, -2f), Update(3, 1f, 1f));
        var afterOne = strategy.Global.Tensors[0].Value.data<float>().ToArray();
        Updates.Aggregate(strategy, 2, Update(1, 0.5f, -1f));

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
        using var strategy = new FedOpt(ServerMomentRule.Adam, new FedOptOptions());
        using var initial = Set(1f, -2f);
        strategy.Initialize(initial, [], 1);
        Updates.Aggregate(strategy, 1, Update(1, 2f, 0f));

        var saved = strategy.StateTensors().ToDictionary(t => t.Name, t => t.Value.clone());
        using var restored = new FedOpt(ServerMomentRule.Adam, new FedOptOptions());
        restored.Initialize(initial, [], 1);
        restored.LoadStateTensors(saved);

        Assert.Equal(["global/w", "server/m/w", "server/v/w"], saved.Keys.Order());
        Assert.All(strategy.StateTensors().Zip(restored.StateTensors()),
            pair => Assert.True(pair.First.Value.equal(pair.Second.Value).all().item<bool>(), pair.First.Name));
    }

    [Fact]
    public void A_diverging_server_step_is_refused_and_changes_nothing()
    {
        using var strategy = new FedOpt(ServerMomentRule.Adam, new FedOptOptions { ServerLearningRate = 3e38, Tau = 1e-6 });
        using var initial = Set(1f, -2f);
        strategy.Initialize(initial, [], 1);
        var before = strategy.StateTensors().Select(t => t.Value.clone()).ToArray();

        var error = Assert.Throws<FedPSException>(() => Updates.Aggregate(strategy, 1, Update(1, 1e30f, -1e30f)));

        Assert.Equal(FedErrorKind.Diverged, error.Kind);
        Assert.All(strategy.StateTensors().Zip(before), pair => Assert.True(pair.First.Value.equal(pair.Second).all().item<bool>(), pair.First.Name));
    }

    [Theory]
    [InlineData(1e300)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void A_server_learning_rate_outside_float32_range_is_refused_up_front(double rate)
    {
        var error = Assert.Throws<FedPSException>(() => new FedOpt(ServerMomentRule.Adam, new FedOptOptions { ServerLearningRate = rate }));

        Assert.Contains("ServerLearningRate", error.Message);
    }
}
