using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>How the server optimizer updates its second moment v from the averaged delta Δ.</summary>
public enum ServerMomentRule
{
    /// <summary>FedAdagrad: v ← v + Δ².</summary>
    Adagrad,

    /// <summary>FedAdam: v ← β2·v + (1−β2)·Δ².</summary>
    Adam,

    /// <summary>FedYogi: v ← v − (1−β2)·Δ²·sign(v − Δ²) (additive, so v grows slowly on sparse, noisy deltas).</summary>
    Yogi,
}

/// <summary>The server optimizer's knobs (FedAdagrad, FedAdam, FedYogi).</summary>
public sealed record FedOptOptions : StrategyOptions
{
    /// <summary>η of the server step.</summary>
    public double ServerLearningRate { get; init; } = 1e-2;

    /// <summary>β1: decay of the server's first moment m.</summary>
    public double ServerBeta1 { get; init; } = 0.9;

    /// <summary>β2: decay of the second moment v (FedAdam, FedYogi; FedAdagrad does not decay).</summary>
    public double ServerBeta2 { get; init; } = 0.99;

    /// <summary>τ: the adaptivity, added to √v (and v starts at τ²).</summary>
    public double Tau { get; init; } = 1e-3;

    public override StrategyOptions Validated()
    {
        Require(PositiveFinite(ServerLearningRate) && ServerLearningRate <= float.MaxValue, nameof(ServerLearningRate), ServerLearningRate,
            "a positive number within float32's range");
        Require(ServerBeta1 is >= 0 and < 1, nameof(ServerBeta1), ServerBeta1, "in [0, 1)");
        Require(ServerBeta2 is >= 0 and < 1, nameof(ServerBeta2), ServerBeta2, "in [0, 1)");
        Require(PositiveFinite(Tau) && Tau <= 1e6, nameof(Tau), Tau, "positive (and at most 1e6)");
        return this;
    }
}

/// <summary>
/// Adaptive federated optimization (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): clients
/// train as in FedAvg; the server treats the sample-weighted mean Δ = Σ pₖ(θₖ − θ) as a pseudo-gradient and takes
/// an adaptive step
/// <code>
///   m ← β1·m + (1−β1)·Δ
///   v ← v + Δ²                              FedAdagrad
///   v ← β2·v + (1−β2)·Δ²                    FedAdam
///   v ← v − (1−β2)·Δ²·sign(v − Δ²)          FedYogi
///   θ ← θ + η·m / (√v + τ)
/// </code>
/// v starts at τ² as in the paper; there is no bias correction. One mechanism, three names. The step is computed
/// out of place and committed only when every new value is finite, so a diverging server step changes nothing.
/// </summary>
public sealed class FedOpt(ServerMomentRule rule, FedOptOptions options) : FedAvg("Fed" + rule)
{
    private Tensor[] moment = [];
    private Tensor[] variance = [];

    public ServerMomentRule Rule { get; } = rule;

    public FedOptOptions Options { get; } = (FedOptOptions)options.Validated();

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients, int clientsPerRound)
    {
        base.Initialize(initial, clients, clientsPerRound);
        DisposeMoments();
        using var _ = no_grad();
        moment = Global.Values.Select(t => zeros_like(t)).ToArray();
        variance = Global.Values.Select(t => full_like(t, Options.Tau * Options.Tau)).ToArray();
    }

    protected override ParameterSet Step(RoundContext round, ParameterSet average)
    {
        using var _ = no_grad();
        using (average)
        {
            var (o, count) = (Options, moment.Length);
            var nextMoment = new Tensor[count];
            var nextVariance = new Tensor[count];
            var nextTheta = new (string, Tensor)[count];
            for (var i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                var (name, theta) = Global.Tensors[i];
                var delta = average.Tensors[i].Value.sub(theta);
                var squared = delta.square();
                var m = moment[i].mul(o.ServerBeta1).add_(delta, 1 - o.ServerBeta1);
                var v = Rule switch
                {
                    ServerMomentRule.Adagrad => variance[i].add(squared),
                    ServerMomentRule.Adam => variance[i].mul(o.ServerBeta2).add_(squared, 1 - o.ServerBeta2),
                    _ => variance[i].add(squared.mul(variance[i].sub(squared).sign()), -(1 - o.ServerBeta2)),
                };
                nextMoment[i] = m.MoveToOuterDisposeScope();
                nextVariance[i] = v.MoveToOuterDisposeScope();
                nextTheta[i] = (name, theta.addcdiv(m, v.sqrt().add_(o.Tau), o.ServerLearningRate).MoveToOuterDisposeScope());
            }

            var next = new ParameterSet(nextTheta);
            if (!ParameterSet.AreFinite(next.Values.Concat(nextMoment).Concat(nextVariance)))
            {
                next.Dispose();
                Array.ForEach(nextMoment, t => t.Dispose());
                Array.ForEach(nextVariance, t => t.Dispose());
                throw new FedPSException(FedErrorKind.Diverged,
                    $"{Name}'s server step in round {round.Number} produced NaN or infinite values; the server keeps round {round.Number - 1}'s. " +
                    "Lower -ServerLearningRate or raise -Tau.", Name);
            }

            DisposeMoments();
            moment = nextMoment;
            variance = nextVariance;
            return next;
        }
    }

    public override void SaveState(StrategyState state)
    {
        base.SaveState(state);
        for (var i = 0; i < moment.Length; i++)
        {
            var name = Global.Tensors[i].Name;
            state.Add("server/m/" + name, moment[i]);
            state.Add("server/v/" + name, variance[i]);
        }
    }

    public override void LoadState(StrategyState state)
    {
        base.LoadState(state);
        using var _ = no_grad();
        for (var i = 0; i < moment.Length; i++)
        {
            var name = Global.Tensors[i].Name;
            moment[i].copy_(state.Get("server/m/" + name));
            variance[i].copy_(state.Get("server/v/" + name));
        }
    }

    public override string ToString() => FormattableString.Invariant(
        $"{Name}(eta={Options.ServerLearningRate}, betas=({Options.ServerBeta1}, {Options.ServerBeta2}), tau={Options.Tau})");

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

        moment = [];
        variance = [];
    }
}
