using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace FedPS.Core.Tests.Architecture;

/// <summary>
/// The engine's floor plan (docs/architecture.md): each namespace sits on a floor and uses only namespaces on its own
/// floor or below; no two namespaces use each other; the engine knows nothing of PowerShell. Dependencies are read
/// from the compiled assembly (every type reference: fields, signatures, calls, base types), not from using lines.
/// </summary>
public sealed class FloorPlanTests
{
    /// <summary>The floors, lowest first; a namespace below one of these belongs to its floor.</summary>
    public static readonly string[] Floors =
    [
        "FedPS.Core",
        "FedPS.Core.Runtime",
        "FedPS.Core.IO",
        "FedPS.Core.Primitives",
        "FedPS.Core.Tokenizers",
        "FedPS.Core.Data",
        "FedPS.Core.Models",
        "FedPS.Core.Optim",
        "FedPS.Core.Federation",
        "FedPS.Core.Federation.Stages",
        "FedPS.Core.Simulation",
        "FedPS.Core.Experiments",
    ];

    private static readonly Lazy<IReadOnlyDictionary<string, HashSet<(string Namespace, string Because)>>> Engine = new(() =>
    {
        var architecture = new ArchLoader().LoadAssemblies(typeof(FedPSException).Assembly).Build();
        var graph = new Dictionary<string, HashSet<(string, string)>>();
        foreach (var type in architecture.Types.Where(t => t.Namespace.FullName.StartsWith("FedPS.Core", StringComparison.Ordinal)))
        {
            var from = type.Namespace.FullName;
            if (!graph.TryGetValue(from, out var targets))
            {
                graph[from] = targets = [];
            }

            foreach (var dependency in type.Dependencies)
            {
                var to = dependency.Target?.Namespace?.FullName ?? string.Empty;
                if (to != from && (to.StartsWith("FedPS.", StringComparison.Ordinal) || to.StartsWith("System.Management.Automation", StringComparison.Ordinal)))
                {
                    targets.Add((to, $"{type.FullName} → {dependency.Target!.FullName}"));
                }
            }
        }

        return graph;
    });

    [Fact]
    public void The_reader_sees_the_engines_dependencies()
    {
        Assert.Contains(Engine.Value["FedPS.Core.Federation.Strategies"], d => d.Namespace == "FedPS.Core.Federation");
        Assert.Contains(Engine.Value["FedPS.Core.Simulation"], d => d.Namespace == "FedPS.Core.Federation");
        Assert.Contains(Engine.Value["FedPS.Core.Models"], d => d.Namespace == "FedPS.Core.Data");
        Assert.Contains(Engine.Value["FedPS.Core.Federation.Stages"], d => d.Namespace == "FedPS.Core.Federation");
    }

    [Fact]
    public void Every_engine_namespace_is_on_a_floor()
    {
        Assert.All(Engine.Value.Keys, ns => Assert.True(FloorOf(ns) >= 0, $"{ns} is on no floor: add it to docs/architecture.md and this test"));
    }

    [Fact]
    public void No_floor_uses_a_floor_above_it()
    {
        Assert.Empty(Violations(Engine.Value));
    }

    [Fact]
    public void The_engine_knows_nothing_of_PowerShell()
    {
        var uses = Engine.Value.SelectMany(e => e.Value).Where(d => d.Namespace.StartsWith("System.Management.Automation", StringComparison.Ordinal));
        Assert.Empty(uses.Select(d => d.Because));
    }

    [Fact]
    public void The_check_fails_when_a_forbidden_dependency_is_added()
    {
        var graph = Engine.Value.ToDictionary(e => e.Key, e => new HashSet<(string, string)>(e.Value));
        graph["FedPS.Core.Data"].Add(("FedPS.Core.Federation", "FedPS.Core.Data.FedDataset → FedPS.Core.Federation.FedClient"));
        graph["FedPS.Core.Federation"].Add(("FedPS.Core.Federation.Strategies", "FedPS.Core.Federation.FederatedStrategy → FedPS.Core.Federation.Strategies.FedAvg"));

        var violations = Violations(graph);

        Assert.Contains(violations, v => v.Contains("Data.FedDataset → FedPS.Core.Federation.FedClient") && v.Contains("above"));
        Assert.Contains(violations, v => v.Contains("use each other"));
    }

    /// <summary>Every dependency upward across floors, and every pair of namespaces that use each other.</summary>
    public static IReadOnlyList<string> Violations(IReadOnlyDictionary<string, HashSet<(string Namespace, string Because)>> graph)
    {
        var found = new List<string>();
        foreach (var (from, targets) in graph)
        {
            foreach (var (to, because) in targets.Where(t => t.Namespace.StartsWith("FedPS.Core", StringComparison.Ordinal)))
            {
                if (FloorOf(to) > FloorOf(from))
                {
                    found.Add($"{from} (floor {FloorOf(from)}) uses {to}, a floor above: {because}");
                }

                if (string.CompareOrdinal(from, to) < 0 && graph.TryGetValue(to, out var back) && back.FirstOrDefault(b => b.Namespace == from) is { Because: not null } reverse)
                {
                    found.Add($"{from} and {to} use each other: {because}; {reverse.Because}");
                }
            }
        }

        return found;
    }

    private static int FloorOf(string ns)
    {
        for (var floor = Floors.Length - 1; floor >= 0; floor--)
        {
            if (ns == Floors[floor] || (floor > 0 && ns.StartsWith(Floors[floor] + ".", StringComparison.Ordinal)))
            {
                return floor;
            }
        }

        return -1;
    }
}
