using FedPS.Core.Primitives;
using FedPS.Core.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Optim;

public sealed class HessianEstimatorTests
{
    private static Tensor Quadratic(Parameter theta, Tensor a) => theta.matmul(a.matmul(theta)).mul(0.5);

    [Fact]
    public void Hutchinson_recovers_the_exact_diagonal_of_a_diagonal_quadratic()
    {
        var diagonal = tensor(new[] { 3f, 0.5f, -2f, 7f });
        var theta = new Parameter(randn(4, generator: new Generator(3)));
        using var generator = new Generator(4);

        for (var draw = 0; draw < 3; draw++)
        {
            var estimate = Hutchinson.Diagonal(Quadratic(theta, diag(diagonal)), [theta], generator)[0];
            Assert.True(estimate.allclose(diagonal), $"draw {draw}: {string.Join(", ", estimate.data<float>().ToArray())}");
        }
    }

    [Fact]
    public void Hutchinson_averages_towards_the_diagonal_of_a_non_diagonal_quadratic()
    {
        var b = randn(5, 5, generator: new Generator(5));
        var a = b.matmul(b.t()).add(eye(5));
        var theta = new Parameter(randn(5, generator: new Generator(6)));
        using var generator = new Generator(7);
        const int draws = 4000;

        var sum = zeros(5);
        for (var draw = 0; draw < draws; draw++)
        {
            using var scope = NewDisposeScope();
            sum.add_(Hutchinson.Diagonal(Quadratic(theta, a), [theta], generator)[0]);
        }

        var mean = sum / draws;
        var single = Hutchinson.Diagonal(Quadratic(theta, a), [theta], generator)[0];
        // uᵢ(Au)ᵢ = Aᵢᵢ + Σ_{j≠i} Aᵢⱼuᵢuⱼ: variance Σ_{j≠i} Aᵢⱼ², so the mean's standard error is known.
        var standardError = a.square().sum(1).sub(a.diag().square()).div(draws).sqrt();
        var error = mean.sub(a.diag()).abs();
        Assert.True(error.le(standardError.mul(4)).all().item<bool>(),
            $"error {string.Join(", ", error.data<float>().ToArray())} vs 4·se {string.Join(", ", standardError.mul(4).data<float>().ToArray())}");
        Assert.False(single.allclose(a.diag(), rtol: 1e-3, atol: 1e-3)); // one draw is not exact here
    }

    /// <summary>Softmax regression on a fixed batch (B = 8, 3 features, 4 classes).</summary>
    private static (Linear Model, Tensor Inputs, Tensor Labels) SoftmaxRegression()
    {
        var generator = new Generator(8);
        var model = FedPS.Core.Models.TorchRandom.WithSeed(9, () => nn.Linear(3, 4));
        var inputs = randn(8, 3, generator: generator);
        var labels = randint(0, 4, [8], generator: generator);
        return (model, inputs, labels);
    }

    [Fact]
    public void Gnb_is_non_negative_and_averages_towards_the_closed_form_gauss_newton_diagonal()
    {
        var (model, inputs, labels) = SoftmaxRegression();
        using var _ = model;
        var parameters = model.parameters().ToArray(); // weight [4, 3], bias [4]
        using var generator = new Generator(10);
        var batch = new Minibatch(model, inputs, labels, generator);
        var estimator = new GaussNewtonBartlett();
        const int draws = 3000;

        var sums = parameters.Select(p => zeros_like(p).requires_grad_(false)).ToArray();
        for (var draw = 0; draw < draws; draw++)
        {
            using var scope = NewDisposeScope();
            var estimate = estimator.Estimate(batch, parameters);
            Assert.All(estimate, e => Assert.True(e.ge(0).all().item<bool>()));
            for (var i = 0; i < sums.Length; i++)
            {
                sums[i].add_(estimate[i]);
            }
        }

        // Mean cross-entropy over B samples: GN = (1/B)·Σₙ Jₙᵀ(diag(pₙ) − pₙpₙᵀ)Jₙ, whose diagonal is
        // (1/B)·Σₙ pₙc(1 − pₙc)·xₙⱼ² for the weight W[c, j] and (1/B)·Σₙ pₙc(1 − pₙc) for the bias b[c].
        using var noGrad = no_grad();
        var p = model.forward(inputs).softmax(-1);
        var curvature = p.mul(p.neg().add(1)); // [B, C]
        var weight = curvature.t().matmul(inputs.square()).div(8); // [C, 3]
        var bias = curvature.mean([0]);
        foreach (var (mean, exact, name) in new[] { (sums[0] / draws, weight, "weight"), (sums[1] / draws, bias, "bias") })
        {
            var relative = mean.sub(exact).abs().sum().item<float>() / exact.abs().sum().item<float>();
            Assert.True(relative < 0.08, $"{name}: relative L1 error {relative}");
        }
    }
}
