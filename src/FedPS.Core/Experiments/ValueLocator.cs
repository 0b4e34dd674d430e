using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace FedPS.Core.Experiments;

/// <summary>
/// Finds the setting an engine validation message is about, so a range error (raised by the engine's own option
/// records, which know nothing of YAML) still points at a line and column: the best match is a value quoted in the
/// message ("(got -1)", "'FedAvgg'") under a key the message names; either alone also counts.
/// </summary>
internal static partial class ValueLocator
{
    public static (string Path, YamlNode? Node) Find(YamlMappingNode root, IReadOnlyDictionary<string, OverlayValue> overlay, string message)
    {
        var quoted = QuotedValues().Matches(message).Select(m => m.Groups["v"].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var best = (Score: 0, Path: string.Empty, Node: (YamlNode?)root);
        foreach (var (path, key, value) in Leaves(root, string.Empty, overlay))
        {
            var name = path.Split('.')[^1];
            var score = (quoted.Contains(value.Value ?? string.Empty) ? 4 : 0) +
                        (message.Contains(name, StringComparison.OrdinalIgnoreCase) ? 2 + Math.Min(1, name.Length / 8) : 0);
            if (score > best.Score)
            {
                best = (score, path, value);
            }
        }

        return (best.Path, best.Node);
    }

    private static IEnumerable<(string Path, YamlNode Key, YamlScalarNode Value)> Leaves(YamlNode node, string path,
        IReadOnlyDictionary<string, OverlayValue> overlay)
    {
        foreach (var (p, v) in overlay)
        {
            if (path.Length == 0 && v.Value is YamlScalarNode s)
            {
                yield return (p, v.Key, s);
            }
        }

        if (node is not YamlMappingNode mapping)
        {
            yield break;
        }

        foreach (var (key, value) in mapping.Children)
        {
            var child = ConfigBinder.Join(path, (key as YamlScalarNode)?.Value ?? string.Empty);
            if (overlay.ContainsKey(child))
            {
                continue;
            }

            if (value is YamlScalarNode scalar)
            {
                yield return (child, key, scalar);
            }

            foreach (var leaf in Leaves(value, child, new Dictionary<string, OverlayValue>()))
            {
                yield return leaf;
            }
        }
    }

    [GeneratedRegex(@"'(?<v>[^']*)'|\(got (?<v>[^)]*)\)")]
    private static partial Regex QuotedValues();
}
