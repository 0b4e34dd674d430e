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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_flat_update_equals_the_per_tensor_reference_form_up_to_float_rounding(int seed)
    {
        // Sophia on flat buffers against the formulas applied tensor by tensor with fresh temporaries, over
        // 30 steps with a curvature refresh every 4 (a deterministic estimator, so both see the same ĥ).
        var options = new SophiaOptions { LearningRate = 0.01, Rho = 0.05, WeightDecay = 0.1, HessianEvery = 4 };
        var generator = new Generator((ulong)seed);
        var inputs = randn(16, 12, generator: generator);
        var labels = randint(0, 4, [16], generator: generator);
        using var flatModel = Network(seed);
        using var referenceModel = Network(seed);
        var reference = new ReferenceSophia(referenceModel.parameters().ToArray(), options);
        using var sophia = new Sophia(flatModel.parameters(), options, new SquaredGradient());
        double referenceWins = 0;
        for (var step = 1; step <= 30; step++)
        {
            sophia.ZeroGrad();
            nn.functional.cross_entropy(flatModel.forward(inputs), labels).backward();
            sophia.Step(new Minibatch(flatModel, inputs, labels, generator));
            referenceWins += reference.Step(referenceModel, inputs, labels);
        }

        var flatParameters = flatModel.parameters().ToArray();
        for (var i = 0; i < flatParameters.Length; i++)
        {
            AssertAllClose(reference.Parameters[i], flatParameters[i]);
            AssertAllClose(reference.Moment[i], sophia.State.Moment[i]);
            AssertAllClose(reference.Curvature[i], sophia.State.Curvature[i]);
        }

        Assert.Equal(referenceWins / reference.Samples, sophia.CollectMetrics()[Sophia.WinRateMetric], 6);
    }

    [Fact]
    public void A_gradient_assigned_after_construction_is_the_one_the_step_uses()
    {
        var parameter = new Parameter(tensor(new[] { 1f, 1f }));
        using var sophia = new Sophia([parameter], new SophiaOptions { LearningRate = 0.1, WeightDecay = 0, HessianEvery = 100 }, new GaussNewtonBartlett());
        parameter.grad = tensor(new[] { 5f, -5f });

        sophia.Step();

        AssertClose([0.9, 1.1], parameter); // h = 0: the update saturates at ±lr in the gradient's sign
    }

    private static nn.Module<Tensor, Tensor> Network(int seed)
    {
        random.manual_seed(seed);
        return nn.Sequential(nn.Linear(12, 10), nn.ReLU(), nn.Linear(10, 4));
    }

    private static void AssertAllClose(Tensor expected, Tensor actual)
    {
        var difference = (expected - actual).abs().max().item<float>();
        var scale = Math.Max(1, expected.abs().max().item<float>());
        Assert.True(difference <= 1e-5 * scale, $"max |difference| {difference} at scale {scale}");
    }

    /// <summary>ĥ = g⊙g of the minibatch loss: deterministic, so two optimizers given the same weights see the same estimate.</summary>
    private sealed class SquaredGradient : IHessianEstimator
    {
        public string Name => nameof(SquaredGradient);

        public Tensor[] Estimate(Minibatch batch, IReadOnlyList<Parameter> parameters)
        {
            var loss = nn.functional.cross_entropy(batch.Model.forward(batch.Inputs), batch.Labels);
            return autograd.grad([loss], parameters.Cast<Tensor>().ToArray()).Select(g => g.pow(2)).ToArray();
        }
    }

    /// <summary>Sophia's formulas, tensor by tensor with fresh temporaries: the specification the flat form must meet.</summary>
    private sealed class ReferenceSophia(Parameter[] parameters, SophiaOptions options)
    {
        private long steps;

        public Parameter[] Parameters { get; } = parameters;

        public Tensor[] Moment { get; } = parameters.Select(p => zeros_like(p)).ToArray();

        public Tensor[] Curvature { get; } = parameters.Select(p => zeros_like(p)).ToArray();

        public int Samples { get; private set; }

        /// <summary>One training step; returns the win rate when it is sampled (every k-th step), else 0.</summary>
        public double Step(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor labels)
        {
            foreach (var p in Parameters)
            {
                p.grad = null;
            }

            nn.functional.cross_entropy(model.forward(inputs), labels).backward();
            steps++;
            var refresh = steps % options.HessianEvery == 0;
            double unclipped = 0, total = 0;
            using (no_grad())
            {
                for (var i = 0; i < Parameters.Length; i++)
                {
                    Moment[i] = options.Beta1 * Moment[i] + ((1 - options.Beta1) * Parameters[i].grad!);
                    var ratio = (Moment[i] / ((options.Rho * Curvature[i]).clamp_min(0) + options.Epsilon)).clamp(-1, 1);
                    unclipped += ratio.abs().lt(1).sum().item<long>();
                    total += ratio.numel();
                    Parameters[i].mul_(1 - (options.LearningRate * options.WeightDecay)).sub_(options.LearningRate * ratio);
                }
            }

            if (!refresh)
            {
                return 0;
            }

            var estimate = new SquaredGradient().Estimate(new Minibatch(model, inputs, labels, new Generator(0)), Parameters);
            using (no_grad())
            {
                for (var i = 0; i < Parameters.Length; i++)
                {
                    Curvature[i] = (options.Beta2 * Curvature[i]) + ((1 - options.Beta2) * estimate[i]);
                }
            }

            Samples++;
            return unclipped / total;
        }
    }
}
