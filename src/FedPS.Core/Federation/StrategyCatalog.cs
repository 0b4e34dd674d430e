using FedPS.Core.Federation.Strategies;

namespace FedPS.Core.Federation;

/// <summary>Every strategy's knobs; each strategy reads the ones it has.</summary>
public sealed record StrategyOptions;

/// <summary>The strategies FedPS offers, by name.</summary>
public static class StrategyCatalog
{
    private static readonly Dictionary<string, Func<StrategyOptions, FederatedStrategy>> Factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["FedAvg"] = _ => new FedAvg(),
        };

    public static IReadOnlyList<string> Names => Factories.Keys.ToArray();

    public static FederatedStrategy Create(string name, StrategyOptions? options = null) =>
        Factories.TryGetValue(name, out var create)
            ? create(options ?? new StrategyOptions())
            : throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Unknown strategy '{name}'. Valid strategies: {string.Join(", ", Names)}.", name);
}
