using System.Text.Json.Nodes;

namespace FedPS.Core.Experiments;

/// <summary>
/// Runs grouped for a plot or a table by one of their values (<see cref="FedRun.Describe"/>). Grouped by
/// <c>Point</c>, a group holds only the seeds of one config: runs that share their swept values but differ in any
/// other setting (a store filled before and after a config change) are separate groups, labelled with the setting
/// that tells them apart, never averaged as if they were seeds of one point.
/// </summary>
public static class RunGroups
{
    public const string Point = "Point";

    public static IReadOnlyList<(string Label, IReadOnlyList<FedRun> Runs)> By(IReadOnlyList<FedRun> runs, string key)
    {
        var groups = runs.GroupBy(r => r.Describe(key)).Select(g => (Label: g.Key, Runs: (IReadOnlyList<FedRun>)g.ToArray()));
        return !string.Equals(key, Point, StringComparison.OrdinalIgnoreCase)
            ? groups.ToArray()
            : groups.SelectMany(g => SplitByConfig(g.Label, g.Runs)).ToArray();
    }

    private static IEnumerable<(string, IReadOnlyList<FedRun>)> SplitByConfig(string label, IReadOnlyList<FedRun> runs)
    {
        var configs = runs.GroupBy(WithoutSeed).ToArray();
        if (configs.Length == 1)
        {
            yield return (label, runs);
            yield break;
        }

        var first = configs[0].Key;
        foreach (var config in configs)
        {
            var difference = JsonDiff.Find(first, config.Key);
            var suffix = config == configs[0] && JsonDiff.Find(configs[1].Key, first) is { } d ? $"{d.Path}={d.New}"
                : difference is { } e ? $"{e.Path}={e.New}"
                : string.Empty;
            yield return ($"{label} ({suffix})", config.ToArray());
        }
    }

    private static string WithoutSeed(FedRun run)
    {
        var config = JsonNode.Parse(run.Config)!.AsObject();
        config.Remove("seed");
        return config.ToJsonString();
    }
}
