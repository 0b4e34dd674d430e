using System.Globalization;
using System.Text;
using System.Text.Json;
using FedPS.Core.Simulation;

namespace FedPS.Core.Experiments;

/// <summary>
/// Writes results as CSV (one row per round: the run's settings and swept values, the round's numbers, then one
/// column per metric the rounds report) or JSON (runs with their rounds and clients). Runs come from a store; rounds
/// from servers (Invoke-FedRound, <c>$server.History</c>) are written the same way, with their server's name.
/// </summary>
public static class ResultExport
{
    public static readonly IReadOnlyList<string> Formats = ["Csv", "Json"];

    private static readonly string[] RoundColumns = ["Round", "TrainLoss", "TestLoss", "TestAccuracy", "BytesUp", "BytesDown", "DurationMs"];

    private static readonly JsonSerializerOptions Indented = new(Checkpoint.Json) { WriteIndented = true };

    public static void Write(IReadOnlyList<FedRun> runs, string path, string format) =>
        Write(path, IsJson(format) ? Json(runs) : Csv(runs));

    /// <summary>Writes round results of servers (not of a store's runs).</summary>
    public static void Write(IReadOnlyList<RoundResult> rounds, string path, string format) =>
        Write(path, IsJson(format) ? Json(rounds) : Csv(rounds));

    public static string Csv(IReadOnlyList<FedRun> runs)
    {
        var parameters = runs.SelectMany(r => r.Parameters.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        var metrics = MetricColumns(runs.SelectMany(r => r.Rounds));
        return Table(
            ["RunId", "Run", "Experiment", "Dataset", "Strategy", "Seed", "Status", .. parameters, .. RoundColumns, .. metrics],
            runs.SelectMany(run => run.Rounds.Select(round => (IEnumerable<string>)
            [
                Number(run.Id), run.Name, run.Experiment, run.Dataset, run.Strategy, Number(run.Seed), run.Status.ToText(),
                .. parameters.Select(p => run.Parameters.GetValueOrDefault(p) ?? string.Empty),
                .. RoundCells(round, metrics),
            ])));
    }

    public static string Csv(IReadOnlyList<RoundResult> rounds)
    {
        var metrics = MetricColumns(rounds);
        return Table(["Server", "Strategy", .. RoundColumns, .. metrics],
            rounds.Select(round => (IEnumerable<string>)[round.Server, round.Strategy, .. RoundCells(round, metrics)]));
    }

    public static string Json(IReadOnlyList<FedRun> runs) =>
        JsonSerializer.Serialize(runs.Select(r => new
        {
            r.Id, r.Index, r.Key, r.Name, r.Experiment, r.Dataset, r.Strategy, r.Seed, Status = r.Status.ToText(), r.RoundsPlanned, r.Parameters,
            Config = JsonDocument.Parse(r.Config).RootElement, r.CreatedUtc, r.CompletedUtc, r.ParametersSha256, r.Error,
            Rounds = r.Rounds.Select(x => Round(x, server: null)),
        }), Indented);

    public static string Json(IReadOnlyList<RoundResult> rounds) => JsonSerializer.Serialize(rounds.Select(x => Round(x, x.Server)), Indented);

    private static RoundRecord Round(RoundResult x, string? server) =>
        new(server, x.Strategy, x.Round, x.TrainLoss, x.TestLoss, x.TestAccuracy, x.BytesUp, x.BytesDown, x.Duration.TotalMilliseconds, x.Metrics, x.ClientResults);

    private static void Write(string path, string text) =>
        IO.FileWrites.Replace(path, temp => File.WriteAllText(temp, text, new UTF8Encoding(false)));

    private static bool IsJson(string format) => string.Equals(format, "Json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The metrics the rounds report beyond their own numbers (a strategy's, a stage's), one column each.</summary>
    private static string[] MetricColumns(IEnumerable<RoundResult> rounds) =>
        rounds.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).Where(m => !RoundColumns.Contains(m)).Order(StringComparer.Ordinal).ToArray();

    private static IEnumerable<string> RoundCells(RoundResult round, IReadOnlyList<string> metrics) =>
    [
        Number(round.Round), Number(round.TrainLoss), Number(round.TestLoss), Number(round.TestAccuracy),
        Number(round.BytesUp), Number(round.BytesDown), Number(round.Duration.TotalMilliseconds),
        .. metrics.Select(m => round.Metrics.TryGetValue(m, out var value) ? Number(value) : string.Empty),
    ];

    private static string Table(IReadOnlyList<string> columns, IEnumerable<IEnumerable<string>> rows)
    {
        var builder = new StringBuilder();
        builder.AppendLine(string.Join(",", columns.Select(Quote)));
        foreach (var row in rows)
        {
            builder.AppendLine(string.Join(",", row.Select(Quote)));
        }

        return builder.ToString();
    }

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;

    private sealed record RoundRecord(
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Server,
        string Strategy, int Round, double TrainLoss, double TestLoss, double TestAccuracy, long BytesUp, long BytesDown,
        double DurationMs, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<ClientRoundResult> Clients);
}
