using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace FedPS.Core.Experiments;

/// <summary>
/// Binds a YAML tree onto the engine's option records by property name, so the schema is whatever the records
/// declare: a record-typed property is a nested section, arrays are YAML lists, a section with a <c>Name</c> may be
/// given as just its name, and a section with an <c>Options</c> record takes the keys it does not know itself.
/// Records are copied from a prototype (their defaults) through their copy constructor, so init-only properties
/// keep working. <paramref name="overlay"/> replaces values at dotted paths (one sweep point) without copying
/// the tree, so every value keeps the line and column it was written at.
/// </summary>
internal sealed class ConfigBinder(string source, IReadOnlyDictionary<string, OverlayValue> overlay, IReadOnlySet<string> derived)
{
    private const string OptionsProperty = "Options";

    public T Bind<T>(YamlMappingNode root, T prototype) where T : class =>
        (T)BindSection(root, typeof(T), prototype, string.Empty, root)!;

    /// <summary>The keys a section accepts (camelCase), for error messages; <paramref name="optionsType"/> is its options record's actual type.</summary>
    public IReadOnlyList<string> KeysOf(Type type, string path, Type? optionsType = null) =>
        Settable(type, path).SelectMany(p => p.Name == OptionsProperty && IsSection(p.PropertyType)
                ? Settable(optionsType ?? p.PropertyType, path).Select(o => o.Name)
                : [p.Name])
            .Select(Camel).Order(StringComparer.Ordinal).ToArray();

    private object? BindSection(YamlNode? node, Type type, object? prototype, string path, YamlNode? at)
    {
        // A section with no default (null) is created fresh, which needs a parameterless constructor.
        var instance = prototype is not null ? Copy(prototype)
            : type.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance(type)!
            : throw Error(at, path, "This section cannot be set in an experiment config.");
        var properties = Settable(type, path).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        properties.TryGetValue(OptionsProperty, out var options);
        if (options is not null && !IsSection(options.PropertyType))
        {
            options = null;
        }

        var rest = new List<Entry>();
        foreach (var entry in Entries(node, type, path, at))
        {
            if (properties.TryGetValue(entry.Key, out var property) && property == options && instance is INamedOptions && entry.Value is YamlMappingNode knobs)
            {
                // An explicit options: section of a named entry (as stored configs write it): its keys bind like top-level knobs.
                rest.AddRange(knobs.Children.Select(k => new Entry(((YamlScalarNode)k.Key).Value ?? string.Empty,
                    Join(entry.Path, ((YamlScalarNode)k.Key).Value ?? string.Empty), k.Key, k.Value, k.Value)));
            }
            else if (property is not null)
            {
                property.SetValue(instance, Convert(entry.Value, property.PropertyType, property.GetValue(instance), entry.Path, entry.At));
            }
            else if (options is not null)
            {
                rest.Add(entry);
            }
            else
            {
                throw Error(entry.KeyAt, entry.Path, $"Unknown key '{entry.Key}'. Valid keys: {string.Join(", ", KeysOf(type, path))}.");
            }
        }

        if (options is not null)
        {
            BindOptions(instance, options, rest, type, path, node ?? at);
        }

        return instance;
    }

    /// <summary>
    /// Binds the keys a section does not know itself onto its options record. For a section whose options depend on
    /// its name (<see cref="INamedOptions"/>: a strategy), the record is the one of the named entry, started from its
    /// defaults when the name changed the record type.
    /// </summary>
    private void BindOptions(object instance, PropertyInfo options, List<Entry> rest, Type type, string path, YamlNode? at)
    {
        var current = options.GetValue(instance);
        var named = instance as INamedOptions;
        Type optionsType;
        try
        {
            optionsType = named?.OptionsTypeFor(named.Name) ?? options.PropertyType;
        }
        catch (FedPSException ex)
        {
            throw Error(at, Join(path, "name"), ex.Message);
        }

        if (rest.Count == 0 && (current is null || current.GetType() == optionsType))
        {
            return;
        }

        var bound = current is not null && current.GetType() == optionsType ? Copy(current) : Activator.CreateInstance(optionsType)!;
        var known = Settable(optionsType, path).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var entry in rest)
        {
            if (!known.TryGetValue(entry.Key, out var property))
            {
                var valid = KeysOf(type, path, optionsType);
                var hint = named?.HintForUnknownKey(named.Name, entry.Key);
                throw Error(entry.KeyAt, entry.Path,
                    $"Unknown key '{entry.Key}'.{(hint is null ? string.Empty : " " + hint)} Valid keys: {string.Join(", ", valid)}.");
            }

            property.SetValue(bound, Convert(entry.Value, property.PropertyType, property.GetValue(bound), entry.Path, entry.At));
        }

        options.SetValue(instance, bound);
    }

    private object? Convert(YamlNode? node, Type type, object? prototype, string path, YamlNode? at)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is YamlScalarNode scalar && IsNull(scalar))
        {
            return underlying is not null || (!type.IsValueType && type != typeof(string))
                ? null
                : throw Error(at, path, $"A value is required here ({Describe(type)}).");
        }

        var target = underlying ?? type;
        if (IsSection(target))
        {
            return node is YamlSequenceNode
                ? throw Error(at, path, $"Expected a section (key: value pairs), not a list. Valid keys: {string.Join(", ", KeysOf(target, path))}.")
                : BindSection(node, target, prototype, path, at);
        }

        if (target.IsArray)
        {
            var element = target.GetElementType()!;
            if (node is not YamlSequenceNode sequence)
            {
                throw Error(at, path, $"Expected a list of {Describe(element)} values, e.g. [1, 2].");
            }

            var array = Array.CreateInstance(element, sequence.Children.Count);
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                array.SetValue(Convert(sequence.Children[i], element, null, $"{path}[{i}]", sequence.Children[i]), i);
            }

            return array;
        }

        if (node is not YamlScalarNode value)
        {
            throw Error(at, path, $"Expected {Describe(target)}, not a {(node is YamlSequenceNode ? "list" : "section")}.");
        }

        return ParseScalar(value.Value ?? string.Empty, target, path, at);
    }

    private object ParseScalar(string text, Type type, string path, YamlNode? at)
    {
        var invariant = CultureInfo.InvariantCulture;
        object? parsed = type switch
        {
            _ when type == typeof(string) => text,
            _ when type == typeof(bool) => bool.TryParse(text, out var b) ? b : null,
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.Integer, invariant, out var i) ? i : null,
            _ when type == typeof(long) => long.TryParse(text, NumberStyles.Integer, invariant, out var l) ? l : null,
            _ when type == typeof(double) => double.TryParse(text, NumberStyles.Float, invariant, out var d) ? d : null,
            _ when type == typeof(float) => float.TryParse(text, NumberStyles.Float, invariant, out var f) ? f : null,
            _ when type.IsEnum => Enum.TryParse(type, text, ignoreCase: true, out var e) ? e : null,
            _ => throw Error(at, path, $"Settings of type {type.Name} cannot be given in a config."),
        };
        return parsed ?? throw Error(at, path, $"'{text}' is not {Describe(type)}.");
    }

    /// <summary>The key/value pairs of a section: the YAML mapping's, with the overlay's values for this path applied.</summary>
    private List<Entry> Entries(YamlNode? node, Type type, string path, YamlNode? at)
    {
        var entries = new List<Entry>();
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw Error(key, path, "Keys must be plain names.");
                    entries.Add(new Entry(name, Join(path, name), key, value, value));
                }

                break;
            case YamlScalarNode scalar when type.GetProperty("Name") is { CanWrite: true }:
                entries.Add(new Entry("name", Join(path, "name"), scalar, scalar, scalar));
                break;
            case null:
                break;
            default:
                throw Error(at, path, $"Expected a section (key: value pairs){(type.GetProperty("Name") is null ? string.Empty : " or a name")}. " +
                                      $"Valid keys: {string.Join(", ", KeysOf(type, path))}.");
        }

        foreach (var (overlayPath, value) in overlay)
        {
            if (!IsBelow(overlayPath, path))
            {
                continue;
            }

            var segment = overlayPath[(path.Length == 0 ? 0 : path.Length + 1)..].Split('.')[0];
            var full = Join(path, segment);
            var existing = entries.FindIndex(e => string.Equals(e.Key, segment, StringComparison.OrdinalIgnoreCase));
            var replacement = string.Equals(full, overlayPath, StringComparison.OrdinalIgnoreCase)
                ? new Entry(segment, full, value.Key, value.Value, value.Value)
                : existing >= 0 ? entries[existing] : new Entry(segment, full, value.Key, null, value.Key);
            if (existing >= 0)
            {
                entries[existing] = replacement;
            }
            else
            {
                entries.Add(replacement);
            }
        }

        return entries;
    }

    private IEnumerable<PropertyInfo> Settable(Type type, string path) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0)
            .Where(p => !derived.Contains(Join(path, Camel(p.Name))))
            .Where(p => IsBindable(p.PropertyType));

    private static bool IsBindable(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(double) || IsSection(t) ||
               (t.IsArray && IsBindable(t.GetElementType()!));
    }

    /// <summary>A record (it has a copy constructor): bound as a nested section.</summary>
    private static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && !type.IsArray && CopyConstructor(type) is not null;

    private static ConstructorInfo? CopyConstructor(Type type) =>
        type.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [type]);

    private static object Copy(object prototype) => CopyConstructor(prototype.GetType())!.Invoke([prototype]);

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static bool IsBelow(string candidate, string path) =>
        path.Length == 0 || candidate.StartsWith(path + ".", StringComparison.OrdinalIgnoreCase);

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static string Describe(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t switch
        {
            _ when t == typeof(int) || t == typeof(long) => "an integer",
            _ when t == typeof(double) || t == typeof(float) => "a number",
            _ when t == typeof(bool) => "true or false",
            _ when t == typeof(string) => "a string",
            _ when t.IsEnum => $"one of {string.Join(", ", Enum.GetNames(t))}",
            _ when t.IsArray => $"a list of {Describe(t.GetElementType()!)} values",
            _ => t.Name,
        };
    }

    private ExperimentConfigException Error(YamlNode? at, string path, string message) =>
        new(ConfigLocation.Of(source, at), path, message);

    /// <summary>One key of a section: its name, dotted path, where the key and the value were written.</summary>
    private sealed record Entry(string Key, string Path, YamlNode KeyAt, YamlNode? Value, YamlNode? At);
}

/// <summary>A value that replaces the one at a dotted path (a sweep axis value), with the key it was written under.</summary>
internal sealed record OverlayValue(YamlNode Key, YamlNode Value);
