using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FedPS.Core.Experiments;

/// <summary>
/// A YAML parser that refuses nesting deeper than <see cref="ConfigLimits.MaxDepth"/> as the events arrive, so
/// YamlDotNet's recursive tree building never sees a deep document (50,000 nested '[' overflowed the stack), and
/// that remembers where it is, so an error YamlDotNet raises without a position still gets a line and column.
/// </summary>
internal sealed class LimitedYamlParser(IParser inner, string source) : IParser
{
    private readonly HashSet<AnchorName> anchors = [];
    private int depth;

    public ParsingEvent? Current => inner.Current;

    /// <summary>Where the last event that was read ended.</summary>
    public Mark Position { get; private set; } = Mark.Empty;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        var current = inner.Current!;
        Position = current.End;
        if (current is MappingStart or SequenceStart && ++depth > ConfigLimits.MaxDepth)
        {
            throw new ExperimentConfigException(new ConfigLocation(source, current.Start.Line, current.Start.Column), string.Empty,
                $"Sections and lists nest deeper than {ConfigLimits.MaxDepth} levels here; a config needs a handful.",
                kind: FedErrorKind.LimitExceeded);
        }

        if (current is MappingEnd or SequenceEnd)
        {
            depth--;
        }

        // YamlDotNet reports an unknown alias at the document's start; here it gets its own position.
        if (current is NodeEvent { Anchor.IsEmpty: false } node && current is not AnchorAlias)
        {
            anchors.Add(node.Anchor);
        }

        if (current is AnchorAlias alias && !anchors.Contains(alias.Value))
        {
            throw new ExperimentConfigException(new ConfigLocation(source, current.Start.Line, current.Start.Column), string.Empty,
                $"This is not valid YAML: the alias '*{alias.Value}' refers to no anchor '&{alias.Value}' before it.");
        }

        return true;
    }
}
