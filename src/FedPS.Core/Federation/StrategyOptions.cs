using System.Globalization;
using System.Reflection;

namespace FedPS.Core.Federation;

/// <summary>
/// A strategy's knobs: one record per strategy (declared in the strategy's own file), the one source of their
/// defaults and validation. Its settable properties are the strategy's YAML keys and New-FedStrategy's parameters.
/// </summary>
public abstract record StrategyOptions
{
    /// <summary>Checks every knob, failing with the knob and value named; returns the options to use.</summary>
    public virtual StrategyOptions Validated() => this;

    /// <summary>The knobs as "name=value" pairs (camelCase, as in YAML).</summary>
    public sealed override string ToString() =>
        string.Join(", ", Knobs(GetType()).Select(p => $"{char.ToLowerInvariant(p.Name[0])}{p.Name[1..]}={Format(p.GetValue(this))}"));

    /// <summary>The settable properties of an options record type: its knobs.</summary>
    public static IReadOnlyList<PropertyInfo> Knobs(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.DeclaringType != typeof(StrategyOptions))
            .ToArray();

    protected static void Require(bool ok, string knob, object? value, string expected)
    {
        if (!ok)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"{knob} must be {expected} (got {Format(value)}).", value);
        }
    }

    protected static bool PositiveFinite(double value) => value > 0 && double.IsFinite(value);

    private static string Format(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double[][] matrix => $"{matrix.Length}×{(matrix.Length == 0 ? 0 : matrix[0].Length)} matrix",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>The options of a strategy without knobs (FedAvg, FedIT, FedMedian, LocalOnly, script strategies).</summary>
public sealed record NoOptions : StrategyOptions
{
    public static NoOptions Instance { get; } = new();
}
