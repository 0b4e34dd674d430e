using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedPS.Core.Experiments;

/// <summary>
/// An experiment as written: the base settings (a <see cref="RunSpec"/> in YAML or a hashtable), the sweep axes
/// (<c>sweep:</c> maps dotted setting paths to lists; their Cartesian product is taken) and the seeds
/// (<c>seeds: [1, 2, 3]</c> repeats every point). <see cref="Expand"/> validates every point before anything runs.
/// </summary>
public sealed class ExperimentConfig
{
    /// <summary>Sweeps larger than this need -Force (a typo in a sweep list should not launch a thousand runs).</summary>
    public const int DefaultMaxRuns = 256;

    private const string SweepKey = "sweep";
    private const string SeedsKey = "seeds";
    private const string SeedKey = "seed";

    // Only settable properties: the canonical JSON holds exactly what a config can set (and binds back),
    // never values the option records compute from them.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { SettableOnly } },
        Converters = { new RuntimeTypeConverter<Federation.StrategyOptions>() },
    };

    private ExperimentConfig(string source, YamlMappingNode settings, IReadOnlyList<SweepAxis> axes)
    {
        Source = source;
        Settings = settings;
        Axes = axes;
    }

    /// <summary>The file the config came from, or "&lt;hashtable&gt;".</summary>
    public string Source { get; }

    public IReadOnlyList<SweepAxis> Axes { get; }

    /// <summary>Every value of every swept setting (seeds aside), as (label, text): what tells the runs apart.</summary>
    public IEnumerable<KeyValuePair<string, string>> SweptValues =>
        Axes.Where(a => a.Path != SeedKey).SelectMany(a => a.Values.Select(v => KeyValuePair.Create(a.Label, Text(v))));

    /// <summary>The number of runs the sweep expands to (long.MaxValue when that overflows).</summary>
    public long RunCount => Axes.Aggregate(1L, (n, a) => n > long.MaxValue / Math.Max(1, a.Values.Count) ? long.MaxValue : n * a.Values.Count);

    private YamlMappingNode Settings { get; }

    public static ExperimentConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The experiment config '{path}' does not exist.", path);
        }

        var length = new FileInfo(path).Length;
        if (length > ConfigLimits.MaxBytes)
        {
            throw TooLarge(path, length);
        }

        return Parse(File.ReadAllText(path), path);
    }

    public static ExperimentConfig Parse(string yaml, string source)
    {
        if (yaml.Length > ConfigLimits.MaxBytes)
        {
            throw TooLarge(source, yaml.Length);
        }

        var stream = new YamlStream();
        var parser = new LimitedYamlParser(new Parser(new StringReader(yaml)), source);
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            var at = new ConfigLocation(source, ex.Start.Line, ex.Start.Column);
            throw new ExperimentConfigException(at, string.Empty, $"This is not valid YAML: {(ex.InnerException ?? ex).Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet raises this without a position, e.g. for a flow mapping never closed.
            var at = new ConfigLocation(source, parser.Position.Line, parser.Position.Column);
            throw new ExperimentConfigException(at, string.Empty,
                "This is not valid YAML: the document ends inside an unclosed '{', '[' or quote, or is cut short.", ex);
        }

        if (stream.Documents.Count > 1)
        {
            throw new ExperimentConfigException(ConfigLocation.Of(source, stream.Documents[1].RootNode), string.Empty,
                "The file holds more than one YAML document ('---'); an experiment config is one.");
        }

        if (stream.Documents.Count == 1)
        {
            CheckSize(stream.Documents[0].RootNode, source);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
            throw new ExperimentConfigException(ConfigLocation.Of(source, node), string.Empty,
                "An experiment config is a set of key: value pairs (name, dataset, partition, model, optimizer, strategy, rounds, ...).");
        }

        return FromTree(root, source);
    }

    /// <summary>A config given as a (nested) hashtable, as scripts write it: @{ rounds = 5; optimizer = @{ learningRate = 0.1 } }.</summary>
    public static ExperimentConfig FromDictionary(IDictionary settings)
    {
        var root = (YamlMappingNode)ToNode(settings, depth: 1);
        CheckSize(root, ConfigLocation.Hashtable);
        return FromTree(root, ConfigLocation.Hashtable);
    }

    /// <summary>Expands the sweep into validated runs. Fails before anything runs on any bad value.</summary>
    public ExperimentPlan Expand(int maxRuns = DefaultMaxRuns, bool force = false)
    {
        var runs = Runs(maxRuns, force).ToList();
        return new ExperimentPlan(runs.Count == 0 ? "experiment" : runs[0].Spec.Name, Source, runs);
    }

    /// <summary>
    /// The sweep's validated runs, one at a time (a plan of many runs is printed as it is made, not held in
    /// memory). The size check comes first; each run is checked as it is made.
    /// </summary>
    public IEnumerable<PlannedRun> Runs(int maxRuns = DefaultMaxRuns, bool force = false)
    {
        if (RunCount > ConfigLimits.MaxRuns)
        {
            throw new ExperimentConfigException(new ConfigLocation(Source, 0, 0), SweepKey,
                $"The sweep expands to {(RunCount == long.MaxValue ? "more than 9.2e18" : RunCount.ToString("N0", CultureInfo.InvariantCulture))} runs, " +
                $"more than the {ConfigLimits.MaxRuns:N0} FedPS plans at once even with -Force. Split the sweep into several configs.",
                kind: FedErrorKind.LimitExceeded);
        }

        if (RunCount > maxRuns && !force)
        {
            throw new ExperimentConfigException(new ConfigLocation(Source, 0, 0), SweepKey,
                $"The sweep expands to {RunCount:N0} runs, more than the limit of {maxRuns:N0}. Check the sweep lists, or pass -Force to run them all.");
        }

        return Enumerate();
    }

    private IEnumerable<PlannedRun> Enumerate()
    {
        var index = 0;
        var seen = new Dictionary<ulong, (int Index, string Name)>();
        foreach (var point in Points())
        {
            var overlay = point.ToDictionary(p => p.Axis.Path, p => new OverlayValue(p.Axis.Key, p.Value), StringComparer.OrdinalIgnoreCase);
            var spec = Bind(overlay);
            var json = Canonical(spec);
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(json));
            var key = Convert.ToHexStringLower(hash)[..16];
            var parameters = point.Where(p => p.Axis.Path != SeedKey)
                .ToDictionary(p => p.Axis.Label, p => Text(p.Value), StringComparer.Ordinal);
            var name = parameters.Count == 0
                ? FormattableString.Invariant($"{spec.Name}/seed={spec.Seed}")
                : FormattableString.Invariant($"{spec.Name}/{string.Join(",", parameters.Select(p => $"{p.Key}={p.Value}"))}/seed={spec.Seed}");
            var run = new PlannedRun(++index, key, name, spec, parameters, json);
            if (!seen.TryAdd(BitConverter.ToUInt64(hash), (run.Index, name)))
            {
                var twin = seen[BitConverter.ToUInt64(hash)];
                var where = ConfigLocation.Of(Source, point.LastOrDefault()?.Value);
                throw new ExperimentConfigException(where, SweepKey,
                    $"Runs {twin.Index} and {run.Index} of the sweep are identical ({name}); remove the repeated value.");
            }

            yield return run;
        }
    }

    private static ExperimentConfigException TooLarge(string source, long length) =>
        new(new ConfigLocation(source, 0, 0), string.Empty,
            $"The config has {length:N0} bytes, more than the {ConfigLimits.MaxBytes:N0} a config may have.", kind: FedErrorKind.LimitExceeded);

    /// <summary>Refuses a tree of more than <see cref="ConfigLimits.MaxValues"/> values, counting every use of an alias.</summary>
    private static void CheckSize(YamlNode root, string source)
    {
        var sizes = new Dictionary<YamlNode, long>(ReferenceEqualityComparer.Instance);
        long Size(YamlNode node)
        {
            if (sizes.TryGetValue(node, out var known))
            {
                return known;
            }

            var children = node switch
            {
                YamlMappingNode m => m.Children.SelectMany(c => new[] { c.Key, c.Value }),
                YamlSequenceNode s => s.Children,
                _ => [],
            };
            var size = Math.Min(ConfigLimits.MaxValues + 1L, 1 + children.Sum(c => Math.Min(ConfigLimits.MaxValues + 1L, Size(c))));
            sizes[node] = size;
            return size;
        }

        if (Size(root) > ConfigLimits.MaxValues)
        {
            throw new ExperimentConfigException(ConfigLocation.Of(source, root), string.Empty,
                $"The config holds more than {ConfigLimits.MaxValues:N0} values (counting every use of a YAML alias); a config needs a few dozen.",
                kind: FedErrorKind.LimitExceeded);
        }
    }

    private static void SettableOnly(JsonTypeInfo type)
    {
        foreach (var computed in type.Properties.Where(p => p.Set is null).ToArray())
        {
            type.Properties.Remove(computed);
        }
    }

    /// <summary>The resolved config of one run as canonical JSON (what the store keeps and a checkpoint is checked against).</summary>
    public static string Canonical(RunSpec spec)
    {
        var node = JsonSerializer.SerializeToNode(spec, Json)!.AsObject();
        foreach (var path in RunSpec.Derived)
        {
            var parts = path.Split('.');
            if (node[parts[0]] is JsonObject section)
            {
                section.Remove(parts[1]);
            }
        }

        return node.ToJsonString();
    }

    private RunSpec Bind(IReadOnlyDictionary<string, OverlayValue> overlay)
    {
        var binder = new ConfigBinder(Source, overlay, RunSpec.Derived);
        var spec = binder.Bind(Settings, new RunSpec());
        if (File.Exists(Source))
        {
            spec = spec.ResolvePaths(Path.GetDirectoryName(Path.GetFullPath(Source))!); // a trace path is relative to the config file
        }

        try
        {
            return spec.Validated();
        }
        catch (FedPSException ex) when (ex is not ExperimentConfigException)
        {
            var (path, node) = ValueLocator.Find(Settings, overlay, ex.Message);
            throw new ExperimentConfigException(ConfigLocation.Of(Source, node), path, ex.Message, ex, ex.Kind);
        }
    }

    private IEnumerable<IReadOnlyList<AxisValue>> Points()
    {
        IEnumerable<IReadOnlyList<AxisValue>> points = [[]];
        foreach (var axis in Axes)
        {
            points = points.SelectMany(p => axis.Values.Select(v => (IReadOnlyList<AxisValue>)[.. p, new AxisValue(axis, v)]));
        }

        return points;
    }

    private static ExperimentConfig FromTree(YamlMappingNode root, string source)
    {
        var settings = new YamlMappingNode();
        var axes = new List<SweepAxis>();
        SweepAxis? seeds = null;
        foreach (var (key, value) in root.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (string.Equals(name, SweepKey, StringComparison.OrdinalIgnoreCase))
            {
                axes.AddRange(SweepAxes(value, source));
            }
            else if (string.Equals(name, SeedsKey, StringComparison.OrdinalIgnoreCase))
            {
                seeds = Axis(source, SeedKey, key, value);
            }
            else
            {
                settings.Add(key, value);
            }
        }

        if (seeds is not null)
        {
            if (settings.Children.Keys.Any(k => string.Equals((k as YamlScalarNode)?.Value, SeedKey, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ExperimentConfigException(ConfigLocation.Of(source, seeds.Key), SeedsKey, "Give either 'seed' or 'seeds', not both.");
            }

            axes.Add(seeds);
        }

        return new ExperimentConfig(source, settings, axes);
    }

    private static IEnumerable<SweepAxis> SweepAxes(YamlNode sweep, string source)
    {
        if (sweep is not YamlMappingNode mapping)
        {
            throw new ExperimentConfigException(ConfigLocation.Of(source, sweep), SweepKey,
                "'sweep' maps setting paths to lists of values, e.g. sweep: { optimizer.learningRate: [0.05, 0.1] }.");
        }

        foreach (var (key, value) in mapping.Children)
        {
            var path = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (string.Equals(path, SeedKey, StringComparison.OrdinalIgnoreCase) || path.Length == 0)
            {
                throw new ExperimentConfigException(ConfigLocation.Of(source, key), SweepKey,
                    path.Length == 0 ? "A sweep key must be a setting path." : "Sweep seeds with the top-level 'seeds: [...]' list.");
            }

            yield return Axis(source, path, key, value);
        }
    }

    private static SweepAxis Axis(string source, string path, YamlNode key, YamlNode value)
    {
        if (value is not YamlSequenceNode list)
        {
            throw new ExperimentConfigException(ConfigLocation.Of(source, value), path, "A sweep needs a list of values, e.g. [0.05, 0.1].");
        }

        if (list.Children.Count == 0)
        {
            throw new ExperimentConfigException(ConfigLocation.Of(source, value), path, "The sweep list is empty: give at least one value.");
        }

        var parts = path.Split('.');
        var label = parts.Length > 1 && string.Equals(parts[^1], "name", StringComparison.OrdinalIgnoreCase) ? parts[^2] : parts[^1];
        return new SweepAxis(path, label, key, list.Children.ToArray());
    }

    private static string Text(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? string.Empty,
        YamlSequenceNode s => "[" + string.Join(",", s.Children.Select(Text)) + "]",
        YamlMappingNode m => "{" + string.Join(",", m.Children.Select(c => $"{Text(c.Key)}:{Text(c.Value)}")) + "}",
        _ => node.ToString(),
    };

    private static YamlNode ToNode(object? value, int depth)
    {
        if (depth > ConfigLimits.MaxDepth && value is IDictionary or (IEnumerable and not string))
        {
            throw new ExperimentConfigException(new ConfigLocation(ConfigLocation.Hashtable, 0, 0), string.Empty,
                $"The hashtable nests deeper than {ConfigLimits.MaxDepth} levels (does it contain itself?).", kind: FedErrorKind.LimitExceeded);
        }

        return value switch
        {
            null => new YamlScalarNode("null"),
            IDictionary map => new YamlMappingNode(Keys(map)
                .Select(k => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(System.Convert.ToString(k, CultureInfo.InvariantCulture)), ToNode(map[k], depth + 1)))),
            string s => new YamlScalarNode(s) { Style = ScalarStyle.DoubleQuoted },
            IEnumerable items => new YamlSequenceNode(items.Cast<object?>().Take(ConfigLimits.MaxValues + 1).Select(v => ToNode(v, depth + 1))),
            bool b => new YamlScalarNode(b ? "true" : "false"),
            IFormattable f => new YamlScalarNode(f.ToString(null, CultureInfo.InvariantCulture)),
            _ => new YamlScalarNode(value.ToString()),
        };
    }

    /// <summary>A plain hashtable has no order; its keys are sorted so a sweep expands the same way every time.</summary>
    private static IEnumerable<object> Keys(IDictionary map) =>
        map is System.Collections.Specialized.IOrderedDictionary
            ? map.Keys.Cast<object>()
            : map.Keys.Cast<object>().OrderBy(k => System.Convert.ToString(k, CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);

    private sealed record AxisValue(SweepAxis Axis, YamlNode Value);
}

/// <summary>One swept setting: its dotted path, a short label for run names, and its values.</summary>
public sealed record SweepAxis(string Path, string Label, YamlNode Key, IReadOnlyList<YamlNode> Values);

/// <summary>The expanded runs of an experiment, in order (the first axis varies slowest, seeds fastest).</summary>
public sealed record ExperimentPlan(string Name, string Source, IReadOnlyList<PlannedRun> Runs)
{
    /// <summary>
    /// False for runs picked from a plan (piped from Get-FedExperimentPlan): the rest of their sweep is unknown, so
    /// the store's other runs of the experiment are not judged against it.
    /// </summary>
    public bool IsWholeSweep { get; init; } = true;
}

/// <summary>One run of a sweep, resolved and validated; <see cref="Key"/> identifies it across resumes (a hash of its config).</summary>
public sealed record PlannedRun(int Index, string Key, string Name, RunSpec Spec, IReadOnlyDictionary<string, string> Parameters, string ConfigJson)
{
    public string Experiment => Spec.Name;

    public string Dataset => Spec.Dataset.Name;

    public string Strategy => Spec.Strategy.Name;

    public string Optimizer => Spec.Optimizer.ToString();

    public int Seed => Spec.Seed;

    public int Rounds => Spec.Rounds;

    public int Clients => Spec.Clients;

    /// <summary>The swept values of this run, e.g. "learningRate=0.1, strategy=FedAvg".</summary>
    public string Point => string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>Writes a value declared as <typeparamref name="T"/> with all the properties of its runtime type (a strategy's own options record).</summary>
internal sealed class RuntimeTypeConverter<T> : System.Text.Json.Serialization.JsonConverter<T>
    where T : class
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException($"{typeof(T).Name} is read through the config binder, not System.Text.Json.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, value.GetType(), options);
}
