using FedPS.Core.Models;
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
/// m and h each live in flat buffers (<see cref="FlatLayout"/>); <see cref="Moment"/> and <see cref="Curvature"/> are
/// per-parameter views into them.
/// </summary>
public sealed class SophiaState : IDisposable
{
    private readonly Tensor[] momentBuffers;
    private readonly Tensor[] curvatureBuffers;
    private readonly Tensor[] moment;
    private readonly Tensor[] curvature;

    private SophiaState(FlatLayout layout, long steps)
    {
        Layout = layout;
        momentBuffers = layout.Zeros();
        curvatureBuffers = layout.Zeros();
        moment = layout.Views(momentBuffers);
        curvature = layout.Views(curvatureBuffers);
        Steps = steps;
    }

    public IReadOnlyList<Tensor> Moment => moment;

    public IReadOnlyList<Tensor> Curvature => curvature;

    public long Steps { get; internal set; }

    internal FlatLayout Layout { get; }

    /// <summary>m, one flat tensor per group of <see cref="Layout"/>.</summary>
    internal IReadOnlyList<Tensor> MomentBuffers => momentBuffers;

    /// <summary>h, one flat tensor per group of <see cref="Layout"/>.</summary>
    internal IReadOnlyList<Tensor> CurvatureBuffers => curvatureBuffers;

    public static SophiaState ZerosLike(IEnumerable<Tensor> parameters) => new(FlatLayout.Of(parameters), 0);

    /// <summary>An independent copy (what a client trains on until its round completes).</summary>
    public SophiaState Clone()
    {
        var copy = new SophiaState(Layout, Steps);
        using var _ = no_grad();
        for (var g = 0; g < momentBuffers.Length; g++)
        {
            copy.momentBuffers[g].copy_(momentBuffers[g]);
            copy.curvatureBuffers[g].copy_(curvatureBuffers[g]);
        }

        return copy;
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
            ? t
            : throw new FedPSException(FedErrorKind.InvalidData, $"The saved Sophia state has no tensor '{name}'.", name);
        var m = Enumerable.Range(0, count).Select(i => Get($"m/{i}")).ToArray();
        var h = Enumerable.Range(0, count).Select(i => Get($"h/{i}")).ToArray();
        var state = new SophiaState(FlatLayout.Of(m), Get("steps").item<long>());
        using var _ = no_grad();
        for (var i = 0; i < count; i++)
        {
            state.moment[i].copy_(m[i]);
            state.curvature[i].copy_(h[i]);
        }

        return state;
    }

    public void Dispose()
    {
        foreach (var t in moment.Concat(curvature).Concat(momentBuffers).Concat(curvatureBuffers))
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
/// tunes ρ to keep it in 0.1–0.5. It is counted on every k-th step (where h is refreshed), on the device, and read
/// once by <see cref="CollectMetrics"/>.
/// </para>
/// Performance: the parameters, their gradients, m and h are views into flat buffers (<see cref="FlatParameters"/>),
/// so a step is four tensor operations over all parameters at once (lerp m, the ratio, its clip, lerp θ); the inverse
/// denominator changes only when h does and is cached. A parameter the loss does not reach gets a zero
/// gradient (its m decays and θ still takes the step), as with PyTorch's zero_grad(set_to_none=False).
/// </summary>
public sealed class Sophia : ILocalOptimizer
{
    public const string WinRateMetric = "SophiaWinRate";

    private readonly Parameter[] parameters;
    private readonly FlatParameters flat;
    private readonly Tensor[] scaledInverseDenominators;
    private readonly Tensor[] beta1Weights;
    private readonly Tensor[] beta2Weights;
    private readonly Tensor[] decayWeights;
    private readonly Tensor[] unclipped;
    private readonly bool ownsState;
    private readonly bool decays;
    private readonly Scalar zero;
    private readonly Scalar denominatorScale;
    private readonly Scalar denominatorShift;
    private readonly Scalar bound;
    private readonly Scalar negativeBound;
    private readonly Scalar negativeLearningRate;
    private int winSamples;

    /// <param name="state">Carried state (not disposed by this optimizer); null starts from zeros.</param>
    public Sophia(IEnumerable<Parameter> parameters, SophiaOptions options, IHessianEstimator estimator, SophiaState? state = null)
    {
        this.parameters = parameters.Where(p => p.requires_grad).ToArray();
        Options = options;
        Estimator = estimator;
        flat = new FlatParameters(this.parameters);
        ownsState = state is null;
        State = state ?? SophiaState.ZerosLike(this.parameters);
        if (State.Moment.Count != this.parameters.Length || !State.Layout.Matches(flat.Layout))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The Sophia state has {State.Moment.Count} tensors but there are {this.parameters.Length} parameters, " +
                "or their shapes differ.", state);
        }

        // With weight decay the step is one lerp: θ·(1 − lr·wd) − lr·r = lerp(θ, −r/wd, lr·wd), so the ratio is
        // computed already scaled by −1/wd (folded into the cached denominator) and clipped at ±1/wd.
        decays = options.WeightDecay > 0;
        var scale = decays ? -options.WeightDecay : 1.0;
        scaledInverseDenominators = flat.Layout.Empty();
        beta1Weights = Weights(1 - options.Beta1);
        beta2Weights = Weights(1 - options.Beta2);
        decayWeights = Weights(options.LearningRate * options.WeightDecay);
        unclipped = flat.Layout.Groups.Select(g => tensor(0L, device: g.Device).DetachFromDisposeScope()).ToArray();
        zero = 0.0;
        denominatorScale = scale * options.Rho;
        denominatorShift = scale * options.Epsilon;
        bound = decays ? 1 / options.WeightDecay : 1.0;
        negativeBound = decays ? -1 / options.WeightDecay : -1.0;
        negativeLearningRate = -options.LearningRate;
        RefreshDenominators();
    }

    public SophiaOptions Options { get; }

    public IHessianEstimator Estimator { get; }

    public SophiaState State { get; }

    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>True when the step just taken is one on which h is refreshed (every k-th).</summary>
    private bool RefreshDue => State.Steps % Options.HessianEvery == 0;

    public void ZeroGrad() => flat.ZeroGradients();

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
        flat.SyncGradients();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var g = 0; g < scaledInverseDenominators.Length; g++)
        {
            var m = State.MomentBuffers[g];
            var theta = flat.Values[g];
            m.lerp_(flat.Gradients[g], beta1Weights[g]); // β1·m + (1−β1)·g in one pass

            // clip(m / (max(ρh, 0) + ε), −1, 1) = sign(m)·min(|m| / (ρh + ε), 1), times −1/wd when decaying.
            var ratio = m.mul(scaledInverseDenominators[g]).clamp_(negativeBound, bound);
            if (sampleWinRate)
            {
                unclipped[g].add_(ratio.abs().lt(bound).sum());
            }

            if (decays)
            {
                theta.lerp_(ratio, decayWeights[g]);
            }
            else
            {
                theta.add_(ratio, negativeLearningRate);
            }
        }

        if (sampleWinRate)
        {
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
            State.Curvature[i].lerp_(estimate[i], beta2Weights[flat.Layout.Slots[i].Group]); // β2·h + (1−β2)·ĥ
        }

        RefreshDenominators();
    }

    /// <summary>
    /// 1 / (max(ρh, 0) + ε), times −1/wd when decaying, cached: h changes only every k steps, so the steps in
    /// between multiply by this instead of recomputing the denominator.
    /// </summary>
    private void RefreshDenominators()
    {
        using var _ = no_grad();
        for (var g = 0; g < scaledInverseDenominators.Length; g++)
        {
            scaledInverseDenominators[g].copy_(State.CurvatureBuffers[g]).clamp_min_(zero).mul_(denominatorScale).add_(denominatorShift).reciprocal_();
        }
    }

    private Tensor[] Weights(double value) => flat.Layout.Groups
        .Select(g => tensor(value, dtype: g.DType, device: g.Device).DetachFromDisposeScope()).ToArray();

    public IReadOnlyDictionary<string, double> CollectMetrics()
    {
        if (winSamples == 0)
        {
            return new Dictionary<string, double>();
        }

        var total = (double)flat.Layout.Groups.Sum(g => g.Count) * winSamples;
        var count = unclipped.Sum(u => u.item<long>()); // the one host read of the win rate
        foreach (var u in unclipped)
        {
            u.zero_();
        }

        winSamples = 0;
        return new Dictionary<string, double> { [WinRateMetric] = count / total };
    }

    public void Dispose()
    {
        foreach (var t in scaledInverseDenominators.Concat(beta1Weights).Concat(beta2Weights).Concat(decayWeights).Concat(unclipped))
        {
            t.Dispose();
        }

        flat.Dispose();
        foreach (var s in new[] { zero, denominatorScale, denominatorShift, bound, negativeBound, negativeLearningRate })
        {
            s.Dispose();
        }

        if (ownsState)
        {
            State.Dispose();
        }
    }
}
