using FedPS.Core.Federation.Strategies;

namespace FedPS.Core.Federation;

/// <summary>Every strategy's knobs; each strategy reads the ones it has.</summary>
public sealed record StrategyOptions
{
    /// <summary>Mira's regularization strength λ (0 = local-only training).</summary>
    public double Lambda { get; init; } = 0.05;

    /// <summary>Mira's server step size η.</summary>
    public double StepSize { get; init; } = 1.0;

    /// <summary>Mira's task graph.</summary>
    public AdjacencySpec Adjacency { get; init; } = AdjacencySpec.Uniform;
}

/// <summary>The strategies FedPS offers, by name.</summary>
public static class StrategyCatalog
{
    private static readonly Dictionary<string, Func<StrategyOptions, FederatedStrategy>> Factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["FedAvg"] = _ => new FedAvg(),
            ["FedIT"] = _ => new FedIT(),
            ["Mira"] = o => new Mira(o.Lambda, o.StepSize, o.Adjacency),
            ["LocalOnly"] = _ => Mira.LocalOnly(),
        };

    public static IReadOnlyList<string> Names => Factories.Keys.ToArray();

    public static FederatedStrategy Create(string name, StrategyOptions? options = null) =>
        Factories.TryGetValue(name, out var create)
            ? create(options ?? new StrategyOptions())
            : throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Unknown strategy '{name}'. Valid strategies: {string.Join(", ", Names)}.", name);
}
