using FedPS.Core.Primitives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Optim;

/// <summary>Sophia's hyperparameters; the defaults are the reference implementation's (github.com/Liuhong99/Sophia).</summary>
public sealed record SophiaOptions
{
    public double LearningRate { get; init; } = 1e-3;

    public double Beta1 { get; init; } = 0.965;

    public double Beta2 { get; init; } = 0.99;

    /// <summary>ρ: scales the curvature in the denominator; the reference tunes it so the win rate stays in 0.1–0.5.</summary>
    public double Rho { get; init; } = 0.04;

    /// <summary>Decoupled weight decay, θ ← θ(1 − lr·wd).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>k: the curvature estimate h is refreshed every k steps.</summary>
    public int HessianEvery { get; init; } = 10;

    public double Epsilon { get; init; } = 1e-15;
}

/// <summary>
/// Sophia's state for one set of parameters: the gradient EMA m, the curvature EMA h, and the step count. Kept
/// apart from the optimizer so a federated client can carry it from round to round (and a checkpoint can save it).
/// </summary>
public sealed class SophiaState : IDisposable
{
    private SophiaState(Tensor[] moment, Tensor[] curvature, long steps)
    {
        Moment = moment;
        Curvature = curvature;
        Steps = steps;
    }

    public IReadOnlyList<Tensor> Moment { get; }

    public IReadOnlyList<Tensor> Curvature { get; }

    public long Steps { get; internal set; }

    public static SophiaState ZerosLike(IEnumerable<Tensor> parameters)
    {
        using var _ = no_grad();
        var list = parameters.ToArray();
        return new SophiaState(
            list.Select(p => zeros_like(p).requires_grad_(false)).ToArray(),
            list.Select(p => zeros_like(p).requires_grad_(false)).ToArray(),
            0);
    }

    /// <summary>An independent copy (what a client trains on until its round completes).</summary>
    public SophiaState Clone()
    {
        using var _ = no_grad();
        return new SophiaState(Moment.Select(m => m.clone()).ToArray(), Curvature.Select(h => h.clone()).ToArray(), Steps);
    }

    /// <summary>Named tensors: m/i, h/i per parameter i, and the step count as a scalar.</summary>
    public IEnumerable<(string Name, Tensor Value)> Tensors() =>
        Moment.Select((m, i) => ($"m/{i}", m))
            .Concat(Curvature.Select((h, i) => ($"h/{i}", h)))
            .Append(("steps", tensor(Steps)));

    /// <summary>Rebuilds a state from what <see cref="Tensors"/> returned (values are copied).</summary>
    public static SophiaState FromTensors(IReadOnlyDictionary<string, Tensor> saved)
    {
        var count = saved.Keys.Count(k => k.StartsWith("m/", StringComparison.Ordinal));
        Tensor Get(string name) => saved.TryGetValue(name, out var t)
            ? t.detach().clone()
            : throw new FedPSException(FedErrorKind.InvalidData, $"The saved Sophia state has no tensor '{name}'.", name);
        return new SophiaState(
            Enumerable.Range(0, count).Select(i => Get($"m/{i}")).ToArray(),
            Enumerable.Range(0, count).Select(i => Get($"h/{i}")).ToArray(),
            Get("steps").item<long>());
    }

    public void Dispose()
    {
        foreach (var t in Moment.Concat(Curvature))
        {
            t.Dispose();
        }
    }
}

/// <summary>
/// Sophia, "Second-order Clipped Stochastic Optimization" (Liu, Li, Hall, Liang, Ma 2023, arXiv:2305.14342),
/// in the reference implementation's form. Per parameter θ with gradient g:
/// <code>
///   m ← β1·m + (1−β1)·g                           every step
///   h ← β2·h + (1−β2)·ĥ                           every k steps, ĥ from an <see cref="IHessianEstimator"/>
///   θ ← θ·(1 − lr·wd)                             decoupled weight decay
///   θ ← θ − lr·sign(m)·min(|m| / (ρ·h + ε), 1)
/// </code>
/// Mapping to the paper's θ ← θ − η·clip(m / max(γ·h, ε), 1): η = lr and γ = ρ; for h ≥ 0 the two agree up to
/// adding ε instead of taking the max (sign(m)·min(|m|/d, 1) = clip(m/d, 1) for d > 0). The reference stores
/// EMA(ĝ⊙ĝ) and multiplies by the batch size B in the step (ρ·B·h); here the GNB estimator returns B·ĝ⊙ĝ itself,
/// so h is on the Hessian's scale for both estimators and the step reads ρ·h — the same update. Hutchinson's ĥ
/// can be negative; like the paper's max(γh, ε) a negative h then saturates the step (we clamp ρ·h at 0).
/// <para>
/// The "win rate" is the fraction of coordinates whose update is not clipped (|m| &lt; ρ·h + ε); the reference
/// tunes ρ to keep it in 0.1–0.5. It is sampled on every k-th step (where h is refreshed), to keep steps cheap.
/// </para>
/// Performance: two reusable buffers per parameter (the update ratio, and the cached inverse denominator, which
/// changes only when h does) and pre-built scalars; a step allocates nothing but the gradient handles in its scope.
/// </summary>
public sealed class Sophia : ILocalOptimizer
{
    public const string WinRateMetric = "SophiaWinRate";

    private readonly Parameter[] parameters;
    private readonly Tensor[] buffers;
    private readonly Tensor[] inverseDenominators;
    private readonly bool ownsState;
    private readonly Tensor oneMinusBeta1;
    private readonly Scalar beta2;
    private readonly Scalar oneMinusBeta2;
    private readonly Scalar rho;
    private readonly Scalar epsilon;
    private readonly Scalar decay;
    private readonly Scalar negativeLearningRate;
    private readonly Scalar zero;
    private readonly Scalar one;
    private readonly Scalar minusOne;
    private double winSum;
    private int winSamples;

    /// <param name="state">Carried state (not disposed by this optimizer); null starts from zeros.</param>
    public Sophia(IEnumerable<Parameter> parameters, SophiaOptions options, IHessianEstimator estimator, SophiaState? state = null)
    {
        this.parameters = parameters.Where(p => p.requires_grad).ToArray();
        Options = options;
        Estimator = estimator;
        ownsState = state is null;
        State = state ?? SophiaState.ZerosLike(this.parameters);
        if (State.Moment.Count != this.parameters.Length)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The Sophia state has {State.Moment.Count} tensors but there are {this.parameters.Length} parameters.", state);
        }

        using (no_grad())
        {
            buffers = this.parameters.Select(p => empty_like(p).requires_grad_(false)).ToArray();
            inverseDenominators = this.parameters.Select(p => empty_like(p).requires_grad_(false)).ToArray();
        }

        oneMinusBeta1 = tensor(1 - options.Beta1, dtype: this.parameters.FirstOrDefault()?.dtype ?? ScalarType.Float32,
            device: this.parameters.FirstOrDefault()?.device).DetachFromDisposeScope();
        beta2 = options.Beta2;
        oneMinusBeta2 = 1 - options.Beta2;
        rho = options.Rho;
        epsilon = options.Epsilon;
        decay = 1 - (options.LearningRate * options.WeightDecay);
        negativeLearningRate = -options.LearningRate;
        zero = 0.0;
        one = 1.0;
        minusOne = -1.0;
        RefreshDenominators();
    }

    public SophiaOptions Options { get; }

    public IHessianEstimator Estimator { get; }

    public SophiaState State { get; }

    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>True when the step just taken is one on which h is refreshed (every k-th).</summary>
    private bool RefreshDue => State.Steps % Options.HessianEvery == 0;

    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>The update from the current gradients, then (every k steps) the curvature refresh on <paramref name="batch"/>.</summary>
    public void Step(Minibatch batch)
    {
        Step();
        if (RefreshDue)
        {
            UpdateCurvature(batch);
        }
    }

    /// <summary>The update from the current gradients alone (no curvature refresh); counts as a step.</summary>
    public void Step()
    {
        State.Steps++;
        var sampleWinRate = RefreshDue;
        long unclipped = 0;
        long total = 0;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var grad = p.grad;
            if (grad is null)
            {
                continue;
            }

            var m = State.Moment[i];
            var ratio = buffers[i];
            m.lerp_(grad, oneMinusBeta1); // β1·m + (1−β1)·g in one pass
            p.mul_(decay);

            // ratio = clip(m / (max(ρh, 0) + ε), −1, 1) = sign(m)·min(|m| / (ρh + ε), 1), computed in place.
            ratio.copy_(m).mul_(inverseDenominators[i]).clamp_(minusOne, one);
            if (sampleWinRate)
            {
                unclipped += ratio.abs().lt(one).sum().item<long>();
                total += ratio.numel();
            }

            p.add_(ratio, negativeLearningRate);
        }

        if (sampleWinRate && total > 0)
        {
            winSum += (double)unclipped / total;
            winSamples++;
        }
    }

    /// <summary>h ← β2·h + (1−β2)·ĥ with one estimate ĥ on <paramref name="batch"/>.</summary>
    public void UpdateCurvature(Minibatch batch)
    {
        using var scope = NewDisposeScope();
        var estimate = Estimator.Estimate(batch, parameters);
        using var _ = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            State.Curvature[i].mul_(beta2).add_(estimate[i], oneMinusBeta2);
        }

        RefreshDenominators();
    }

    /// <summary>
    /// 1 / (max(ρh, 0) + ε), cached: h changes only every k steps, so the steps in between multiply by this
    /// instead of recomputing the denominator (with the lerp for m, 6 passes over memory per step instead of 11).
    /// </summary>
    private void RefreshDenominators()
    {
        using var _ = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            inverseDenominators[i].copy_(State.Curvature[i]).mul_(rho).clamp_min_(zero).add_(epsilon).reciprocal_();
        }
    }

    public IReadOnlyDictionary<string, double> CollectMetrics()
    {
        var metrics = winSamples == 0
            ? new Dictionary<string, double>()
            : new Dictionary<string, double> { [WinRateMetric] = winSum / winSamples };
        winSum = 0;
        winSamples = 0;
        return metrics;
    }

    public void Dispose()
    {
        foreach (var b in buffers.Concat(inverseDenominators))
        {
            b.Dispose();
        }

        oneMinusBeta1.Dispose();
        foreach (var s in new[] { beta2, oneMinusBeta2, rho, epsilon, decay, negativeLearningRate, zero, one, minusOne })
        {
            s.Dispose();
        }

        if (ownsState)
        {
            State.Dispose();
        }
    }
}
