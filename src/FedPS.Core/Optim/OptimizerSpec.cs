using TorchSharp;
using TorchSharp.Modules;

namespace FedPS.Core.Optim;

/// <summary>A local optimizer and its hyperparameters; <see cref="Create"/> makes a fresh instance for a set of parameters.</summary>
public sealed record OptimizerSpec
{
    public static readonly IReadOnlyList<string> Names = ["Sgd", "Adam", "AdamW"];

    public string Name { get; init; } = "Sgd";

    public double LearningRate { get; init; } = 0.05;

    public double Momentum { get; init; }

    public double WeightDecay { get; init; }

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    public static OptimizerSpec Sgd(double learningRate, double momentum = 0) =>
        new() { Name = "Sgd", LearningRate = learningRate, Momentum = momentum };

    public static string Canonical(string name) =>
        Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Unknown optimizer '{name}'. Valid optimizers: {string.Join(", ", Names)}.", name);

    public OptimizerSpec Validated()
    {
        var name = Canonical(Name);
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "LearningRate", LearningRate, "a positive number");
        Require(Momentum is >= 0 and < 1, "Momentum", Momentum, "in [0, 1)");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), "WeightDecay", WeightDecay, "non-negative");
        Require(Beta1 is >= 0 and < 1, "Beta1", Beta1, "in [0, 1)");
        Require(Beta2 is >= 0 and < 1, "Beta2", Beta2, "in [0, 1)");
        Require(Epsilon > 0, "Epsilon", Epsilon, "positive");
        return this with { Name = name };
    }

    public torch.optim.Optimizer Create(IEnumerable<Parameter> parameters) => Name switch
    {
        "Sgd" => torch.optim.SGD(parameters, LearningRate, momentum: Momentum, weight_decay: WeightDecay),
        "Adam" => torch.optim.Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, weight_decay: WeightDecay),
        "AdamW" => torch.optim.AdamW(parameters, LearningRate, Beta1, Beta2, Epsilon, weight_decay: WeightDecay),
        _ => throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Unknown optimizer '{Name}'. Valid optimizers: {string.Join(", ", Names)}.", Name),
    };

    public override string ToString() => Name switch
    {
        "Sgd" => FormattableString.Invariant($"Sgd(lr={LearningRate}, momentum={Momentum})"),
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
