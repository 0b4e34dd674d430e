using System.Globalization;
using System.Reflection;

namespace FedPS.Core;

/// <summary>
/// The base of every options record whose settable properties are knobs (a strategy's, a round stage's): one place
/// for how knobs are listed, shown ("name=value", camelCase as in YAML) and checked ("X must be … (got …)").
/// </summary>
public abstract record OptionsRecord
{
    /// <summary>The knobs as "name=value" pairs (camelCase, as in YAML).</summary>
    public sealed override string ToString() =>
        string.Join(", ", Knobs(GetType()).Select(p => $"{char.ToLowerInvariant(p.Name[0])}{p.Name[1..]}={Format(p.GetValue(this))}"));

    /// <summary>The settable properties of an options record type: its knobs.</summary>
    public static IReadOnlyList<PropertyInfo> Knobs(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.DeclaringType is { IsAbstract: false })
            .ToArray();

    protected static void Require(bool ok, string knob, object? value, string expected)
    {
        if (!ok)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"{knob} must be {expected} (got {Format(value)}).", value);
        }
    }

    protected static bool PositiveFinite(double value) => value > 0 && double.IsFinite(value);

    /// <summary>A knob's value as the messages and <see cref="ToString"/> write it.</summary>
    public static string Format(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double[][] matrix => $"{matrix.Length}×{(matrix.Length == 0 ? 0 : matrix[0].Length)} matrix",
        int[] list => "[" + string.Join(", ", list) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
