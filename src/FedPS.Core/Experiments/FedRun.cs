using FedPS.Core.Simulation;

namespace FedPS.Core.Experiments;

/// <summary>A run in the results store: what it was (resolved config, swept values), how far it got, and its rounds.</summary>
public sealed record FedRun
{
    /// <summary>The run's row in the store (the <c>run_id</c> of its rounds).</summary>
    public required long Id { get; init; }

    /// <summary>The run's 1-based index in the plan of its sweep: the Index Get-FedExperimentPlan shows for it.</summary>
    public int Index { get; init; }

    /// <summary>Identifies the run across resumes: a hash of its resolved config.</summary>
    public required string Key { get; init; }

    public required string Name { get; init; }

    public required string Experiment { get; init; }

    public required string Dataset { get; init; }

    public required string Strategy { get; init; }

    public required int Seed { get; init; }

    public required RunStatus Status { get; init; }

    public required int RoundsPlanned { get; init; }

    /// <summary>The swept values of this run (e.g. learningRate = 0.1).</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>The full resolved config as JSON.</summary>
    public required string Config { get; init; }

    public required DateTime CreatedUtc { get; init; }

    public DateTime? CompletedUtc { get; init; }

    /// <summary>SHA-256 of the final global parameters (equal for bit-identical runs).</summary>
    public string? ParametersSha256 { get; init; }

    public string? Error { get; init; }

    public required IReadOnlyList<RoundResult> Rounds { get; init; }

    public int RoundsCompleted => Rounds.Count;

    /// <summary>The test accuracy of the last evaluated round (NaN if none was evaluated).</summary>
    public double TestAccuracy => LastEvaluated?.TestAccuracy ?? double.NaN;

    public double TestLoss => LastEvaluated?.TestLoss ?? double.NaN;

    public double TrainLoss => Rounds.Count == 0 ? double.NaN : Rounds[^1].TrainLoss;

    /// <summary>The swept values as text, e.g. "learningRate=0.1, strategy=FedAvg".</summary>
    public string Point => string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value}"));

    private RoundResult? LastEvaluated => Rounds.LastOrDefault(r => double.IsFinite(r.TestLoss));

    /// <summary>A value of the run for grouping: a swept parameter, a config path (optimizer.learningRate) or a property name.</summary>
    public string Describe(string key)
    {
        if (Parameters.TryGetValue(key, out var swept))
        {
            return swept;
        }

        var property = typeof(FedRun).GetProperty(key, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        if (property is not null && property.PropertyType != typeof(IReadOnlyList<RoundResult>))
        {
            return Convert.ToString(property.GetValue(this), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        return ConfigValue(key) ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Run '{Name}' has no parameter, property or setting '{key}'.", key);
    }

    /// <summary>A setting of the resolved config by dotted path (case-insensitive), as text; null when absent.</summary>
    public string? ConfigValue(string path)
    {
        using var document = System.Text.Json.JsonDocument.Parse(Config);
        var element = document.RootElement;
        foreach (var part in path.Split('.'))
        {
            var found = element.ValueKind == System.Text.Json.JsonValueKind.Object
                ? element.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, part, StringComparison.OrdinalIgnoreCase))
                : default;
            if (found.Value.ValueKind == System.Text.Json.JsonValueKind.Undefined)
            {
                return null;
            }

            element = found.Value;
        }

        return element.ValueKind == System.Text.Json.JsonValueKind.String ? element.GetString() : element.GetRawText();
    }
}
