using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class FedProxTests
{
    [Fact]
    public void The_proximal_penalty_gradient_is_mu_times_the_distance_to_the_global_model()
    {
        using var module = TorchRandom.WithSeed(1, () => nn.Linear(3, 2));
        using var anchor = TorchRandom.WithSeed(2, () =>
            new ParameterSet(module.named_parameters().Select(p => (p.name, randn_like(p.parameter))).ToArray()));
        const double mu = 0.3;

        FedProx.ProximalTerm(module, anchor, mu).backward();

        foreach (var ((name, parameter), (_, global)) in module.named_parameters().Zip(anchor.Tensors))
        {
            var expected = parameter.detach().sub(global).mul(mu);
            Assert.True(parameter.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6), name);
        }
    }
}
