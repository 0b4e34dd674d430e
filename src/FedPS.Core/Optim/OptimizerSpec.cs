using TorchSharp;
using TorchSharp.Modules;

namespace FedPS.Core.Optim;

/// <summary>A local optimizer and its hyperparameters; <see cref="Create"/> makes a fresh instance for a set of parameters.</summary>
public sealed record OptimizerSpec
{
    private static readonly Catalog<string> Catalog = FedPS.Core.Catalog.Of("optimizer", "Sgd", "Adam", "AdamW", "Sophia");

    public static IReadOnlyList<string> Names => Catalog.Names;

    public string Name { get; init; } = "Sgd";

    public double LearningRate { get; init; } = 0.05;

    public double Momentum { get; init; }

    public double WeightDecay { get; init; }

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Sophia's ρ.</summary>
    public double Rho { get; init; } = 0.04;

    /// <summary>Sophia's k: steps between curvature refreshes.</summary>
    public int HessianEvery { get; init; } = 10;

    /// <summary>Sophia's Hessian-diagonal estimator (<see cref="HessianEstimators.Names"/>).</summary>
    public string Estimator { get; init; } = GaussNewtonBartlett.EstimatorName;

    public static OptimizerSpec Sgd(double learningRate, double momentum = 0) =>
        new() { Name = "Sgd", LearningRate = learningRate, Momentum = momentum };

    public static OptimizerSpec Sophia(double learningRate, string estimator = GaussNewtonBartlett.EstimatorName) =>
        Defaults("Sophia") with { LearningRate = learningRate, Estimator = estimator };

    /// <summary>
    /// The optimizer's own defaults: SGD lr 0.05; Adam/AdamW lr 1e-3 with torch's betas; Sophia the reference's
    /// β = (0.965, 0.99), ρ = 0.04, wd = 0.1, k = 10, ε = 1e-15 with lr 1e-3.
    /// </summary>
    public static OptimizerSpec Defaults(string name)
    {
        var canonical = Canonical(name);
        if (canonical != "Sophia")
        {
            return new OptimizerSpec { Name = canonical, LearningRate = canonical == "Sgd" ? 0.05 : 1e-3 };
        }

        var sophia = new SophiaOptions();
        return new OptimizerSpec
        {
            Name = canonical,
            LearningRate = sophia.LearningRate,
            Beta1 = sophia.Beta1,
            Beta2 = sophia.Beta2,
            Rho = sophia.Rho,
            WeightDecay = sophia.WeightDecay,
            HessianEvery = sophia.HessianEvery,
            Epsilon = sophia.Epsilon,
        };
    }

    public static string Canonical(string name) => Catalog.Canonical(name);

    public OptimizerSpec Validated()
    {
        var name = Canonical(Name);
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "LearningRate", LearningRate, "a positive number");
        Require(Momentum is >= 0 and < 1, "Momentum", Momentum, "in [0, 1)");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), "WeightDecay", WeightDecay, "non-negative");
        Require(Beta1 is >= 0 and < 1, "Beta1", Beta1, "in [0, 1)");
        Require(Beta2 is >= 0 and < 1, "Beta2", Beta2, "in [0, 1)");
        Require(Epsilon > 0 && double.IsFinite(Epsilon), "Epsilon", Epsilon, "positive");
        Require(Rho > 0 && double.IsFinite(Rho), "Rho", Rho, "a positive number");
        Require(HessianEvery >= 1, "HessianEvery", HessianEvery, "at least 1");
        return this with { Name = name, Estimator = HessianEstimators.Canonical(Estimator) };
    }

    public SophiaOptions SophiaOptions => new()
    {
        LearningRate = LearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Rho = Rho,
        WeightDecay = WeightDecay,
        HessianEvery = HessianEvery,
        Epsilon = Epsilon,
    };

    public ILocalOptimizer Create(IEnumerable<Parameter> parameters) => Name switch
    {
        "Sgd" => new TorchLocalOptimizer(torch.optim.SGD(parameters, LearningRate, momentum: Momentum, weight_decay: WeightDecay)),
        "Adam" => new TorchLocalOptimizer(torch.optim.Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, weight_decay: WeightDecay)),
        "AdamW" => new TorchLocalOptimizer(torch.optim.AdamW(parameters, LearningRate, Beta1, Beta2, Epsilon, weight_decay: WeightDecay)),
        "Sophia" => CreateSophia(parameters),
        _ => throw Catalog.Unknown(Name),
    };

    /// <summary>A Sophia optimizer from this spec, optionally continuing from carried <paramref name="state"/>.</summary>
    public Sophia CreateSophia(IEnumerable<Parameter> parameters, SophiaState? state = null) =>
        new(parameters, SophiaOptions, HessianEstimators.Create(Estimator), state);

    public override string ToString() => Name switch
    {
        "Sgd" => FormattableString.Invariant($"Sgd(lr={LearningRate}, momentum={Momentum})"),
        "Sophia" => FormattableString.Invariant(
            $"Sophia(lr={LearningRate}, betas=({Beta1}, {Beta2}), rho={Rho}, wd={WeightDecay}, k={HessianEvery}, {Estimator})"),
        _ => FormattableString.Invariant($"{Name}(lr={LearningRate}, betas=({Beta1}, {Beta2}), wd={WeightDecay})"),
    };

    private static void Require(bool ok, string name, double value, string expected)
    {
        if (!ok)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"{name} must be {expected} (got {value})."), value);
        }
    }
}
