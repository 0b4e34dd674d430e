using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>FedProx's knobs.</summary>
public sealed record FedProxOptions : StrategyOptions
{
    /// <summary>The proximal weight μ ≥ 0 (μ = 0 is FedAvg).</summary>
    public double Mu { get; init; } = 0.01;

    public override StrategyOptions Validated()
    {
        Require(Mu >= 0 && double.IsFinite(Mu), nameof(Mu), Mu, "non-negative and finite");
        return this;
    }
}

/// <summary>
/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): clients minimise their loss plus
/// the proximal term μ/2·‖θ − θ_global‖², which keeps local models near the global one on non-IID data; the server
/// averages like FedAvg. μ = 0 is FedAvg.
/// </summary>
public sealed class FedProx(FedProxOptions options) : FedAvg(nameof(FedProx))
{
    public FedProxOptions Options { get; } = (FedProxOptions)options.Validated();

    public double Mu => Options.Mu;

    public override IReadOnlyList<ClientAssignment> Configure(RoundContext round) =>
        base.Configure(round).Select(a => Mu == 0 ? a : new ClientAssignment(round, a.Client, a.Start)
        {
            Penalty = module => ProximalTerm(module, a.Start, Mu),
            Detail = FormattableString.Invariant($"proximal μ={Mu}"),
        }).ToArray();

    /// <summary>μ/2·‖θ − anchor‖² over the module's parameters (its gradient is μ(θ − anchor)).</summary>
    public static Tensor ProximalTerm(nn.Module module, ParameterSet anchor, double mu)
    {
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Tensor? sum = null;
        foreach (var (name, value) in anchor.Tensors)
        {
            var term = parameters[name].sub(value).square().sum();
            sum = sum is null ? term : sum.add_(term);
        }

        return (sum ?? zeros([])).mul(mu / 2);
    }

    public override string ToString() => FormattableString.Invariant($"FedProx(mu={Mu})");
}
