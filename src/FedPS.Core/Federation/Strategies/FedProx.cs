using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): clients minimise their loss plus
/// the proximal term μ/2·‖θ − θ_global‖², which keeps local models near the global one on non-IID data; the server
/// averages like FedAvg. μ = 0 is FedAvg.
/// </summary>
public sealed class FedProx(double mu) : FederatedStrategy
{
    public override string Name => nameof(FedProx);

    public double Mu { get; } = mu;

    public override ClientUpdate TrainClient(ClientRound work) =>
        work.Trainer.Train(work.Client, Global, work.Round, work.Seed, work.Cancel,
            penalty: Mu == 0 ? null : module => ProximalTerm(module, Global, Mu), progress: work.Progress);

    public override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round) =>
        ReplaceGlobal(ParameterSet.WeightedAverage(
            updates.Select(u => u.Parameters).ToArray(),
            updates.Select(u => (double)u.SampleCount).ToArray()));

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
