using FedPS.Core.Federation.Strategies;

namespace FedPS.Core.Federation;

/// <summary>
/// Every strategy's knobs in one record; each strategy reads the ones it has. Null means "the strategy's own
/// default" where strategies differ (e.g. the server learning rate: 1e-2 for FedAdam/FedYogi, 1 for DONE).
/// </summary>
public sealed record StrategyOptions
{
    /// <summary>FedProx's proximal weight μ (Li et al. 2020).</summary>
    public double Mu { get; init; } = 0.01;

    /// <summary>η of the server update (FedAdam/FedYogi: default 1e-2; DONE: default 1).</summary>
    public double? ServerLearningRate { get; init; }

    /// <summary>FedAdam/FedYogi's server moment decay rates (β1, β2).</summary>
    public double ServerBeta1 { get; init; } = 0.9;

    public double ServerBeta2 { get; init; } = 0.99;

    /// <summary>FedAdam/FedYogi's adaptivity τ (Reddi et al. 2021).</summary>
    public double Tau { get; init; } = 1e-3;

    /// <summary>DONE's Richardson iterations R per round; null: the client's local step budget.</summary>
    public int? RichardsonIterations { get; init; }

    /// <summary>DONE's Richardson step α (must stay below 1/λmax of the local Hessians).</summary>
    public double RichardsonStep { get; init; } = 0.01;

    /// <summary>FedSophia: start every round from zero optimizer state instead of the client's carried m, h.</summary>
    public bool ResetOptimizerState { get; init; }

    /// <summary>Mira's regularization strength λ (0 = local-only training).</summary>
    public double Lambda { get; init; } = 0.05;

    /// <summary>Mira's server step size η.</summary>
    public double StepSize { get; init; } = 1.0;

    /// <summary>Mira's task graph.</summary>
    public AdjacencySpec Adjacency { get; init; } = AdjacencySpec.Uniform;

    public StrategyOptions Validated()
    {
        Require(Mu >= 0 && double.IsFinite(Mu), nameof(Mu), Mu, "non-negative");
        Require(ServerLearningRate is null || (ServerLearningRate > 0 && double.IsFinite(ServerLearningRate.Value)),
            nameof(ServerLearningRate), ServerLearningRate ?? 0, "a positive number");
        Require(ServerBeta1 is >= 0 and < 1, nameof(ServerBeta1), ServerBeta1, "in [0, 1)");
        Require(ServerBeta2 is >= 0 and < 1, nameof(ServerBeta2), ServerBeta2, "in [0, 1)");
        Require(Tau > 0 && double.IsFinite(Tau), nameof(Tau), Tau, "positive");
        Require(RichardsonIterations is null or >= 1, nameof(RichardsonIterations), RichardsonIterations ?? 0, "at least 1");
        Require(RichardsonStep > 0 && double.IsFinite(RichardsonStep), nameof(RichardsonStep), RichardsonStep, "positive");
        return this;
    }

    private static void Require(bool ok, string name, double value, string expected)
    {
        if (!ok)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"{name} must be {expected} (got {value})."), value);
        }
    }
}

/// <summary>The strategies FedPS offers, by name.</summary>
public static class StrategyCatalog
{
    private static readonly Dictionary<string, Func<StrategyOptions, FederatedStrategy>> Factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["FedAvg"] = _ => new FedAvg(),
            ["FedProx"] = o => new FedProx(o.Mu),
            ["FedAdam"] = o => new FedOpt(ServerMomentRule.Adam, ServerOptimizerOptions.From(o)),
            ["FedYogi"] = o => new FedOpt(ServerMomentRule.Yogi, ServerOptimizerOptions.From(o)),
            ["FedSophia"] = o => new FedSophia(o.ResetOptimizerState),
            ["DONE"] = o => new Done(DoneOptions.From(o)),
            ["FedIT"] = _ => new FedIT(),
            ["Mira"] = o => new Mira(o.Lambda, o.StepSize, o.Adjacency),
            ["LocalOnly"] = _ => Mira.LocalOnly(),
        };

    public static IReadOnlyList<string> Names => Factories.Keys.ToArray();

    public static FederatedStrategy Create(string name, StrategyOptions? options = null) =>
        Factories.TryGetValue(name, out var create)
            ? create((options ?? new StrategyOptions()).Validated())
            : throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Unknown strategy '{name}'. Valid strategies: {string.Join(", ", Names)}.", name);
}
