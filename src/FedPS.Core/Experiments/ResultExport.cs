using System.Globalization;
using System.Text;
using System.Text.Json;
using FedPS.Core.Simulation;

namespace FedPS.Core.Experiments;

/// <summary>Writes runs as CSV (one row per run and round, swept values as columns) or JSON (runs with their rounds).</summary>
public static class ResultExport
{
    public static readonly IReadOnlyList<string> Formats = ["Csv", "Json"];

    public static readonly IReadOnlyList<string> Metrics = ["TestAccuracy", "TestLoss", "TrainLoss"];

    public static void Write(IReadOnlyList<FedRun> runs, string path, string format)
    {
        var text = string.Equals(format, "Json", StringComparison.OrdinalIgnoreCase) ? Json(runs) : Csv(runs);
        IO.FileWrites.Replace(path, temp => File.WriteAllText(temp, text, new UTF8Encoding(false)));
    }

    public static string Csv(IReadOnlyList<FedRun> runs)
    {
        var parameters = runs.SelectMany(r => r.Parameters.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        var builder = new StringBuilder();
        string[] columns = ["RunId", "Run", "Experiment", "Dataset", "Strategy", "Seed", "Status", .. parameters,
            "Round", "TrainLoss", "TestLoss", "TestAccuracy", "BytesUp", "BytesDown", "DurationMs"];
        builder.AppendLine(string.Join(",", columns.Select(Quote)));
        foreach (var run in runs)
        {
            foreach (var round in run.Rounds)
            {
                IEnumerable<string> cells =
                [
                    Number(run.Id), run.Name, run.Experiment, run.Dataset, run.Strategy, Number(run.Seed), run.Status.ToText(),
                    .. parameters.Select(p => run.Parameters.GetValueOrDefault(p) ?? string.Empty),
                    Number(round.Round), Number(round.TrainLoss), Number(round.TestLoss), Number(round.TestAccuracy),
                    Number(round.BytesUp), Number(round.BytesDown), Number(round.Duration.TotalMilliseconds),
                ];
                builder.AppendLine(string.Join(",", cells.Select(Quote)));
            }
        }

        return builder.ToString();
    }

    public static string Json(IReadOnlyList<FedRun> runs) =>
        JsonSerializer.Serialize(runs.Select(r => new
        {
            r.Id, r.Key, r.Name, r.Experiment, r.Dataset, r.Strategy, r.Seed, Status = r.Status.ToText(), r.RoundsPlanned, r.Parameters,
            Config = JsonDocument.Parse(r.Config).RootElement, r.CreatedUtc, r.CompletedUtc, r.ParametersSha256, r.Error,
            Rounds = r.Rounds.Select(x => new
            {
                x.Round, x.TrainLoss, x.TestLoss, x.TestAccuracy, x.BytesUp, x.BytesDown,
                DurationMs = x.Duration.TotalMilliseconds, x.Metrics, Clients = x.ClientResults,
            }),
        }), new JsonSerializerOptions(Checkpoint.Json) { WriteIndented = true });

    /// <summary>The value of a metric in a round, by name (TestAccuracy, TestLoss, TrainLoss, or a strategy metric).</summary>
    public static double Metric(RoundResult round, string metric) => metric.ToLowerInvariant() switch
    {
        "testaccuracy" => round.TestAccuracy,
        "testloss" => round.TestLoss,
        "trainloss" => round.TrainLoss,
        _ => round.Metrics.FirstOrDefault(m => string.Equals(m.Key, metric, StringComparison.OrdinalIgnoreCase)) is { Key: not null } m
            ? m.Value
            : throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Unknown metric '{metric}'. Valid metrics: {string.Join(", ", Metrics.Concat(round.Metrics.Keys))}.", metric),
    };

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
