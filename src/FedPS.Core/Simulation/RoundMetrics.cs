namespace FedPS.Core.Simulation;

/// <summary>
/// The numbers a round reports, by name: its own (accuracy, losses, traffic, time) and any a strategy, optimizer or
/// stage adds to <see cref="RoundResult.Metrics"/> (Sophia's win rate, a privacy budget's ε). One list for plots,
/// exports and completion.
/// </summary>
public static class RoundMetrics
{
    private static readonly (double Min, double Max) NonNegative = (0, double.PositiveInfinity);

    // Each with the values it can take (plots cut their bands there): accuracy in [0, 1], the rest from 0.
    private static readonly (string Name, string Description, Func<RoundResult, double> Value, (double Min, double Max) Range)[] Own =
    [
        ("TestAccuracy", "The global model's accuracy on the test data", r => r.TestAccuracy, (0, 1)),
        ("TestLoss", "The global model's loss on the test data", r => r.TestLoss, NonNegative),
        ("TestPerplexity", "exp(TestLoss): a language model's per-token perplexity", r => r.TestPerplexity, NonNegative),
        ("TrainLoss", "The clients' mean local training loss, weighted by their samples", r => r.TrainLoss, NonNegative),
        ("BytesUp", "Bytes the clients sent to the server", r => r.BytesUp, NonNegative),
        ("BytesDown", "Bytes the server sent to the clients", r => r.BytesDown, NonNegative),
        ("Bytes", "Bytes sent both ways", r => r.BytesUp + r.BytesDown, NonNegative),
        ("AggregatedClients", "Clients whose update was aggregated", r => r.ClientResults.Count, NonNegative),
        ("Seconds", "The round's wall-clock time in seconds", r => r.Duration.TotalSeconds, NonNegative),
    ];

    private static readonly Dictionary<string, (string Name, string Description, Func<RoundResult, double> Value, (double Min, double Max) Range)> ByName =
        Own.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The metrics every round has.</summary>
    public static IReadOnlyList<string> Names { get; } = Own.Select(m => m.Name).ToArray();

    public static string Describe(string name) => ByName.TryGetValue(name, out var own) ? own.Description : $"{name}, reported by the strategy or a stage";

    /// <summary>The metrics these rounds report: the ones every round has, then those in their Metrics.</summary>
    public static IReadOnlyList<string> Of(IEnumerable<RoundResult> rounds) =>
        [.. Names, .. rounds.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];

    /// <summary>The canonical name of a metric these rounds report; an error naming the valid ones for any other.</summary>
    public static string Canonical(string metric, IEnumerable<RoundResult> rounds)
    {
        var known = Of(rounds);
        return known.FirstOrDefault(m => string.Equals(m, metric, StringComparison.OrdinalIgnoreCase))
            ?? throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Unknown metric '{metric}'. These rounds report: {string.Join(", ", known)}.", metric);
    }

    /// <summary>
    /// The values a metric can take: its own range for the numbers every round has; unbounded for a strategy's or
    /// stage's own metric, whose range FedPS does not know.
    /// </summary>
    public static (double Min, double Max) Range(string metric) =>
        ByName.TryGetValue(metric, out var own) ? own.Range : (double.NegativeInfinity, double.PositiveInfinity);

    /// <summary>A metric's value in a round; NaN when the round does not report it (e.g. a metric of evaluated rounds only).</summary>
    public static double Value(RoundResult round, string metric) =>
        ByName.TryGetValue(metric, out var own) ? own.Value(round)
        : round.Metrics.FirstOrDefault(m => string.Equals(m.Key, metric, StringComparison.OrdinalIgnoreCase)) is { Key: not null } extra ? extra.Value
        : double.NaN;
}
