using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>How the server optimizer updates its second moment v from the averaged delta Δ.</summary>
public enum ServerMomentRule
{
    /// <summary>FedAdam: v ← β2·v + (1−β2)·Δ².</summary>
    Adam,

    /// <summary>FedYogi: v ← v − (1−β2)·Δ²·sign(v − Δ²) (additive, so v grows slowly on sparse, noisy deltas).</summary>
    Yogi,
}

/// <summary>The server optimizer's knobs.</summary>
public sealed record ServerOptimizerOptions(double LearningRate = 1e-2, double Beta1 = 0.9, double Beta2 = 0.99, double Tau = 1e-3)
{
    public static ServerOptimizerOptions From(StrategyOptions o) =>
        new(o.ServerLearningRate ?? 1e-2, o.ServerBeta1, o.ServerBeta2, o.Tau);
}

/// <summary>
/// Adaptive federated optimization (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): clients
/// train as in FedAvg; the server treats the sample-weighted mean Δ = Σ pₖ(θₖ − θ) as a pseudo-gradient and takes
/// an adaptive step m ← β1·m + (1−β1)·Δ, v by <see cref="ServerMomentRule"/>, θ ← θ + η·m / (√v + τ).
/// v starts at τ² as in the paper; there is no bias correction. One mechanism, two names: FedAdam and FedYogi.
/// </summary>
public sealed class FedOpt(ServerMomentRule rule, ServerOptimizerOptions options) : FederatedStrategy
{
    private Tensor[] moment = [];
    private Tensor[] variance = [];

    public override string Name => "Fed" + Rule;

    public ServerMomentRule Rule { get; } = rule;

    public ServerOptimizerOptions Options { get; } = options;

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients)
    {
        base.Initialize(initial, clients);
        DisposeMoments();
        using var _ = no_grad();
        moment = Global.Values.Select(t => zeros_like(t)).ToArray();
        variance = Global.Values.Select(t => full_like(t, Options.Tau * Options.Tau)).ToArray();
    }

    public override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round)
    {
        using var average = ParameterSet.WeightedAverage(
            updates.Select(u => u.Parameters).ToArray(),
            updates.Select(u => (double)u.SampleCount).ToArray());
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < moment.Length; i++)
        {
            var theta = Global.Tensors[i].Value;
            var delta = average.Tensors[i].Value.sub(theta);
            var squared = delta.square();
            moment[i].mul_(Options.Beta1).add_(delta, 1 - Options.Beta1);
            if (Rule == ServerMomentRule.Adam)
            {
                variance[i].mul_(Options.Beta2).add_(squared, 1 - Options.Beta2);
            }
            else
            {
                variance[i].add_(squared.mul(variance[i].sub(squared).sign()), -(1 - Options.Beta2));
            }

            theta.addcdiv_(moment[i], variance[i].sqrt().add_(Options.Tau), Options.LearningRate);
        }
    }

    public override IEnumerable<(string Name, Tensor Value)> StateTensors() =>
        base.StateTensors()
            .Concat(Global.Tensors.Select((t, i) => ("server/m/" + t.Name, moment[i])))
            .Concat(Global.Tensors.Select((t, i) => ("server/v/" + t.Name, variance[i])));

    public override void LoadStateTensors(IReadOnlyDictionary<string, Tensor> state)
    {
        base.LoadStateTensors(state);
        using var _ = no_grad();
        for (var i = 0; i < moment.Length; i++)
        {
            var name = Global.Tensors[i].Name;
            moment[i].copy_(Saved(state, "server/m/" + name));
            variance[i].copy_(Saved(state, "server/v/" + name));
        }
    }

    public override string ToString() => FormattableString.Invariant(
        $"{Name}(eta={Options.LearningRate}, betas=({Options.Beta1}, {Options.Beta2}), tau={Options.Tau})");

    public override void Dispose()
    {
        DisposeMoments();
        base.Dispose();
    }

    private void DisposeMoments()
    {
        foreach (var t in moment.Concat(variance))
        {
            t.Dispose();
        }
    }
}
