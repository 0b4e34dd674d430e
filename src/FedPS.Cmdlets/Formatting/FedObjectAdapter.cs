using System.Collections;
using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using FedPS.Core.Experiments;

namespace FedPS.Cmdlets.Formatting;

/// <summary>
/// How PowerShell sees a FedPS object (registered for each FedPS type in FedPS.types.ps1xml): the properties it
/// lists — in Format-List *, Select-Object, Export-Csv, ConvertTo-Json, Get-Member — are the object's data. A
/// property the engine marks <c>[JsonIgnore]</c> holds a live handle (a tensor, a network, a delegate) and is left
/// out of every listing, but still answers by name (<c>$dataset.Features</c>). A collection prints as its items,
/// so Export-Csv writes "0, 1, 2" where it would write "System.Int32[]". The swept values of a run are properties
/// of their own (<c>Get-FedRun | Sort-Object learningRate</c>), unless a property of the run has that name.
/// The values themselves are the engine's: a script gets the same int[] or dictionary either way.
/// </summary>
public sealed class FedObjectAdapter : PSPropertyAdapter
{
    // Collections of records print their first few items; collections of numbers and names print whole.
    private const int MaxItemsShown = 10;

    private static readonly ConcurrentDictionary<Type, TypeProperties> Cache = new();

    private static readonly PSCodeMethod ToStringMember =
        new("ToString", typeof(FedObjectAdapter).GetMethod(nameof(CollectionText), BindingFlags.Public | BindingFlags.Static)!);

    public override Collection<PSAdaptedProperty> GetProperties(object baseObject)
    {
        var type = Properties(baseObject.GetType());
        var listed = new Collection<PSAdaptedProperty>();
        foreach (var property in type.Listed)
        {
            listed.Add(new PSAdaptedProperty(property.Name, property));
        }

        foreach (var (name, _) in Swept(baseObject).Where(p => !type.ByName.ContainsKey(p.Key)))
        {
            listed.Add(new PSAdaptedProperty(name, new SweptValue(name)));
        }

        return listed;
    }

    public override PSAdaptedProperty? GetProperty(object baseObject, string propertyName)
    {
        if (Properties(baseObject.GetType()).ByName.TryGetValue(propertyName, out var property))
        {
            return new PSAdaptedProperty(property.Name, property);
        }

        var swept = Swept(baseObject).FirstOrDefault(p => string.Equals(p.Key, propertyName, StringComparison.OrdinalIgnoreCase));
        return swept.Key is null ? null : new PSAdaptedProperty(swept.Key, new SweptValue(swept.Key));
    }

    public override object? GetPropertyValue(PSAdaptedProperty adaptedProperty) => adaptedProperty.Tag switch
    {
        PropertyInfo property => Presented(property.GetValue(adaptedProperty.BaseObject)),
        SweptValue swept => Typed(Swept(adaptedProperty.BaseObject).First(p => p.Key == swept.Name).Value),
        _ => null,
    };

    public override void SetPropertyValue(PSAdaptedProperty adaptedProperty, object value)
    {
        var property = (PropertyInfo)adaptedProperty.Tag;
        property.SetValue(adaptedProperty.BaseObject, LanguagePrimitives.ConvertTo(value, property.PropertyType, CultureInfo.InvariantCulture));
    }

    public override bool IsSettable(PSAdaptedProperty adaptedProperty) =>
        adaptedProperty.Tag is PropertyInfo { SetMethod: { IsPublic: true } setter } &&
        !setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));

    public override bool IsGettable(PSAdaptedProperty adaptedProperty) => true;

    public override string GetPropertyTypeName(PSAdaptedProperty adaptedProperty) => adaptedProperty.Tag switch
    {
        PropertyInfo property => property.PropertyType.FullName ?? property.PropertyType.Name,
        _ => typeof(object).FullName!,
    };

    /// <summary>The text of a collection value (its ToString in PowerShell): its items, separated by commas.</summary>
    public static string CollectionText(PSObject instance) => instance.BaseObject switch
    {
        IDictionary map => string.Join(", ", map.Keys.Cast<object>().Select(k => $"{Text(k)}={Text(map[k])}")),
        IEnumerable items => Items(items.Cast<object?>()),
        var other => Text(other),
    };

    private static string Items(IEnumerable<object?> items)
    {
        var all = items.ToArray();
        var plain = all.All(i => i is null or string or IFormattable);
        var shown = plain ? all : all.Take(MaxItemsShown).ToArray();
        var text = string.Join(plain ? ", " : "; ", shown.Select(Text));
        return shown.Length < all.Length ? $"{text}; … ({all.Length} in all)" : text;
    }

    private static string Text(object? value) => value switch
    {
        null => string.Empty,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>A collection is handed out wrapped, with a ToString that lists its items; anything else as it is.</summary>
    private static object? Presented(object? value)
    {
        if (value is null or string || value is not IEnumerable)
        {
            return value;
        }

        var wrapped = new PSObject(value);
        wrapped.Methods.Add(ToStringMember);
        return wrapped;
    }

    private static IReadOnlyDictionary<string, string> Swept(object baseObject) => baseObject switch
    {
        FedRun run => run.Parameters,
        PlannedRun run => run.Parameters,
        _ => EmptySwept,
    };

    private static readonly IReadOnlyDictionary<string, string> EmptySwept = new Dictionary<string, string>();

    /// <summary>A swept value as a number or a flag when it is one, so that sorting and comparing work as expected.</summary>
    private static object Typed(string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) ? integer
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
        : bool.TryParse(text, out var flag) ? flag
        : text;

    private static TypeProperties Properties(Type type) => Cache.GetOrAdd(type, t =>
    {
        var all = t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToArray();
        return new TypeProperties(
            all.Where(p => !p.IsDefined(typeof(Newtonsoft.Json.JsonIgnoreAttribute), inherit: true)).ToArray(),
            all.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase));
    });

    private sealed record TypeProperties(IReadOnlyList<PropertyInfo> Listed, IReadOnlyDictionary<string, PropertyInfo> ByName);

    private sealed record SweptValue(string Name);
}
