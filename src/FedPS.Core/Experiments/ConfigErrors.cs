using YamlDotNet.RepresentationModel;

namespace FedPS.Core.Experiments;

/// <summary>Where a config value came from: a file (line and column, 1-based) or a hashtable (no position).</summary>
public readonly record struct ConfigLocation(string Source, long Line, long Column)
{
    /// <summary>The source name of configs given as hashtables, whose values have no line or column.</summary>
    public const string Hashtable = "<hashtable>";

    public static ConfigLocation Of(string source, YamlNode? node) =>
        node is null || node.Start.Line == 0 || source == Hashtable ? new(source, 0, 0) : new(source, node.Start.Line, node.Start.Column);

    public override string ToString() =>
        Line > 0 ? FormattableString.Invariant($"{Source}:{Line}:{Column}") : Source;
}

/// <summary>An experiment config that cannot be used: the message names the file, line, column and setting.</summary>
public sealed class ExperimentConfigException : FedPSException
{
    public ExperimentConfigException(ConfigLocation location, string path, string message, Exception? inner = null,
        FedErrorKind kind = FedErrorKind.InvalidArgument)
        : base(kind, Format(location, path, message), location.Source, inner)
    {
        Location = location;
        SettingPath = path;
    }

    public ConfigLocation Location { get; }

    /// <summary>The dotted path of the offending setting, e.g. optimizer.learningRate (empty for the whole file).</summary>
    public string SettingPath { get; }

    public override string ErrorId => "InvalidExperimentConfig";

    private static string Format(ConfigLocation location, string path, string message) =>
        path.Length == 0 ? $"{location}: {message}" : $"{location}: {path}: {message}";
}
