using FedPS.Core.Primitives;
using FedPS.Core.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Optim;

public sealed class SophiaTests
{
    private static (Parameter Theta, Sophia Optimizer) Setup(float[] theta, float[] gradient, float[] curvature, SophiaOptions options)
    {
        var parameter = new Parameter(tensor(theta));
        var state = SophiaState.ZerosLike([parameter]);
        using (no_grad())
        {
            state.Curvature[0].copy_(tensor(curvature));
        }

        var sophia = new Sophia([parameter], options, new GaussNewtonBartlett(), state);

        parameter.grad = tensor(gradient);
        return (parameter, sophia);
    }

    private static void AssertClose(double[] expected, Tensor actual, double tolerance = 1e-6)
    {
        var values = actual.data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) < tolerance, $"[{i}]: expected {expected[i]}, got {values[i]}");
        }
    }

    [Fact]
    public void One_step_on_tiny_tensors_equals_the_hand_computation()
    {
        // lr 0.1, β1 0.9, ρ 0.5, wd 0.1. m = 0.1·g = (0.02, −0.04, 0); ρh = (0.05, 0.005, 0.5);
        // |m|/ρh = (0.4, 8 → clipped to 1, 0); θ·(1 − 0.01) = (0.99, −1.98, 0.495);
        // θ − 0.1·sign(m)·ratio = (0.95, −1.88, 0.495).
        var options = new SophiaOptions { LearningRate = 0.1, Beta1 = 0.9, Rho = 0.5, WeightDecay = 0.1, HessianEvery = 1 };
        var (theta, sophia) = Setup([1f, -2f, 0.5f], [0.2f, -0.4f, 0f], [0.1f, 0.01f, 1f], options);
        using var _ = sophia;

        sophia.Step();

        AssertClose([0.95, -1.88, 0.495], theta);
        AssertClose([0.02, -0.04, 0], sophia.State.Moment[0]);
        Assert.Equal(1, sophia.State.Steps);
        Assert.Equal(2.0 / 3, sophia.CollectMetrics()[Sophia.WinRateMetric], 6); // 0.4 and 0 unclipped, 1 clipped
    }

    [Fact]
    public void Clipping_saturates_the_update_at_plus_or_minus_the_learning_rate()
    {
        var options = new SophiaOptions { LearningRate = 0.05, WeightDecay = 0 };
        var (theta, sophia) = Setup([0f, 0f, 0f], [1e6f, -1e6f, 3f], [0f, 0f, 1e-3f], options);
        using var _ = sophia;

        sophia.Step();

        AssertClose([-0.05, 0.05, -0.05], theta);
    }

    [Fact]
    public void Weight_decay_is_decoupled_from_the_gradient_moment()
    {
        var options = new SophiaOptions { LearningRate = 0.1, WeightDecay = 0.5 };
        var (theta, sophia) = Setup([2f, -4f], [0f, 0f], [1f, 1f], options);
        using var _ = sophia;

        sophia.Step();

        AssertClose([1.9, -3.8], theta); // θ·(1 − lr·wd), and no decay term entered m
        AssertClose([0, 0], sophia.State.Moment[0]);
    }

    [Fact]
    public void Curvature_is_refreshed_every_k_steps_from_the_estimator()
    {
        using var model = nn.Linear(3, 2);
        var inputs = randn(4, 3, generator: new Generator(1));
        var labels = tensor(new long[] { 0, 1, 1, 0 });
        using var sophia = new Sophia(model.parameters(), new SophiaOptions { HessianEvery = 2 }, new GaussNewtonBartlett());
        var batch = new Minibatch(model, inputs, labels, new Generator(2));

        for (var step = 1; step <= 3; step++)
        {
            sophia.ZeroGrad();
            nn.functional.cross_entropy(model.forward(inputs), labels).backward();
            sophia.Step(batch);
            var refreshed = sophia.State.Curvature.Sum(h => h.abs().sum().item<float>()) > 0;
            Assert.Equal(step >= 2, refreshed);
        }
    }
}
