using System.Globalization;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Primitives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>DONE's knobs.</summary>
public sealed record DoneOptions : StrategyOptions
{
    /// <summary>η of the server step θ ← θ + η·d̄.</summary>
    public double ServerLearningRate { get; init; } = 1.0;

    /// <summary>α of the Richardson iteration (must stay below 1/λmax of the local Hessians).</summary>
    public double RichardsonStep { get; init; } = 0.01;

    /// <summary>R, the Richardson iterations per round; null: each client's local step budget.</summary>
    public int? RichardsonIterations { get; init; }

    /// <summary>Samples each client's gradient ∇Fₖ(θ) is taken over; null: its whole shard (the paper's full local gradient).</summary>
    public int? GradientSamples { get; init; }

    /// <summary>
    /// Samples of one minibatch drawn once per round, on which every Hessian-vector product of the round is taken
    /// (so the iterations solve one linear system); null: a fresh minibatch of the client's batch size per iteration.
    /// </summary>
    public int? HessianSamples { get; init; }

    public override StrategyOptions Validated()
    {
        Require(PositiveFinite(ServerLearningRate) && ServerLearningRate <= float.MaxValue, nameof(ServerLearningRate), ServerLearningRate,
            "a positive number within float32's range");
        Require(PositiveFinite(RichardsonStep) && RichardsonStep <= float.MaxValue, nameof(RichardsonStep), RichardsonStep,
            "a positive number within float32's range");
        Require(RichardsonIterations is null or >= 1, nameof(RichardsonIterations), RichardsonIterations, "at least 1");
        Require(GradientSamples is null or >= 1, nameof(GradientSamples), GradientSamples, "at least 1");
        Require(HessianSamples is null or >= 1, nameof(HessianSamples), HessianSamples, "at least 1");
        return this;
    }
}

/// <summary>
/// DONE, "Distributed Approximate Newton-type Method" (Dinh, Tran, Nguyen, Bao, Zomaya, Zhou 2022, IEEE TPDS).
/// A round has two exchanges:
/// <list type="number">
/// <item>configuration: every sampled client sends its local gradient ∇Fₖ(θ) (over its whole shard by default); the
/// server averages them (by sample count) into the global gradient g and sends g back;</item>
/// <item>each client approximates the Newton direction −Hₖ⁻¹g by R Richardson iterations
/// d ← d − α(Hₖ·d + g) from d = 0 (the first, d = −αg, needs no product; each later one is a step of the local
/// training loop: one Hessian-vector product on a minibatch at the fixed θ); the server averages the directions
/// like <see cref="FedAvg"/> and steps θ ← θ + η·d̄.</item>
/// </list>
/// Bytes count both exchanges: down θ and g, up ∇Fₖ and d.
/// </summary>
public sealed class Done(DoneOptions options) : FedAvg("DONE")
{
    public DoneOptions Options { get; } = (DoneOptions)options.Validated();

    /// <summary>
    /// DONE's clients send Newton directions, not models, and its configuration exchanges raw local gradients, so a
    /// privatized mean of models would protect neither: central DP is refused.
    /// </summary>
    public override bool AveragesModels => false;

    public override IReadOnlyList<ClientAssignment> Configure(RoundContext round)
    {
        ParameterSet gradient;
        using (var average = new RunningAverage())
        {
            foreach (var client in round.Sampled)
            {
                using var local = round.LocalGradient(client, Global, Options.GradientSamples);
                average.Add(local, client.SampleCount);
            }

            gradient = round.Own(average.Mean());
        }

        var bytes = gradient.ByteCount;
        var alpha = Options.RichardsonStep;
        return round.Sampled.Select(client =>
        {
            var iterations = Options.RichardsonIterations ?? client.Training.StepsFor(client.SampleCount);
            return new ClientAssignment(round, client, Global)
            {
                UpdateRule = context => new RichardsonUpdate(context.Parameters, gradient, alpha),
                Steps = iterations - 1,
                FixedBatchSize = Options.HessianSamples,
                ExtraBytesDown = bytes,
                ExtraBytesUp = bytes,
                Detail = string.Create(CultureInfo.InvariantCulture, $"R={iterations}, α={alpha}"),
            };
        }).ToArray();
    }

    /// <summary>θ ← θ + η·d̄.</summary>
    protected override ParameterSet Step(RoundContext round, ParameterSet average)
    {
        using (average)
        {
            return Global.Map((name, theta) => theta.add(average[name], Options.ServerLearningRate));
        }
    }

    public override string ToString() => FormattableString.Invariant(
        $"DONE(eta={Options.ServerLearningRate}, alpha={Options.RichardsonStep}, R={Options.RichardsonIterations?.ToString(CultureInfo.InvariantCulture) ?? "local steps"})");

    /// <summary>One Richardson iteration per local step: d ← d − α(H·d + g), H the minibatch Hessian at the fixed θ.</summary>
    private sealed class RichardsonUpdate : ILocalUpdate
    {
        private readonly IReadOnlyList<Parameter> parameters;
        private readonly ParameterSet gradient;
        private readonly double alpha;
        private Tensor[]? direction;

        public RichardsonUpdate(IReadOnlyList<Parameter> parameters, ParameterSet gradient, double alpha)
        {
            this.parameters = parameters;
            this.gradient = gradient;
            this.alpha = alpha;
            using var _ = no_grad();
            direction = gradient.Values.Select(g => g.mul(-alpha)).ToArray();
        }

        public void Step(Tensor objective, Minibatch batch)
        {
            var products = HessianVectorProduct.Compute(objective, parameters, direction!);
            using var _ = no_grad();
            for (var i = 0; i < direction!.Length; i++)
            {
                direction[i].add_(products[i].add_(gradient.Tensors[i].Value), -alpha);
            }
        }

        public ParameterSet? Payload()
        {
            var payload = new ParameterSet(gradient.Names.Zip(direction!).ToArray());
            direction = null;
            return payload;
        }

        public IReadOnlyDictionary<string, double> CollectMetrics() => new Dictionary<string, double>();

        public void Dispose()
        {
            foreach (var d in direction ?? [])
            {
                d.Dispose();
            }
        }
    }
}
