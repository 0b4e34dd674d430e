using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Export, "FedPlot", SupportsShouldProcess = true, DefaultParameterSetName = ObjectsSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFedPlotCommand : FedCmdlet
{
    private const string ObjectsSet = "Objects";
    private const string DatabaseSet = "Database";
    private readonly List<object> items = [];

    /// <summary>FedRun objects (Get-FedRun, Invoke-FedExperiment) or RoundResult objects (Invoke-FedRound).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    public PSObject[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = DatabaseSet)]
    public string Database { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Any number a round reports: its own (TestAccuracy, TestLoss, Bytes, ...) or one in its Metrics.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(MetricNameCompleter))]
    public string Metric { get; set; } = "TestAccuracy";

    /// <summary>A run property (Strategy, Dataset, Point), a swept parameter, or a config path; one curve per value. Round results: Server or Strategy.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(GroupByCompleter))]
    public string? GroupBy { get; set; }

    [Parameter]
    public string? Title { get; set; }

    /// <summary>Keep an existing file: refuse instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace the file even when it is read-only.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process() => items.AddRange(InputObject.Select(o => o.BaseObject));

    protected override void End()
    {
        var runs = ParameterSetName == DatabaseSet
            ? ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns()
            : items.OfType<FedRun>().ToArray();
        var rounds = items.OfType<RoundResult>().ToArray();
        var metric = RoundMetrics.Canonical(Metric, rounds.Length > 0 ? rounds : runs.SelectMany(r => r.Rounds));
        var groupBy = GroupBy ?? (rounds.Length > 0 ? "Server" : "Strategy");
        var series = rounds.Length > 0 ? Series(rounds, metric, groupBy) : Series(runs, metric, groupBy);
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        OutputFile.Check(path, NoClobber, Force);
        if (ShouldProcess(path, $"Plot {metric} by {groupBy}"))
        {
            OutputFile.Prepare(path, Force);
            CurvePlot.SavePng(path, series, new PlotLabels(Title ?? $"{metric} by {groupBy}", "Round", metric), range: RoundMetrics.Range(metric));
            WriteVerbose($"Plotted {metric} by {groupBy} to {path}: {string.Join(", ", series.Select(s => $"{s.Label} ({s.Runs.Count} run(s))"))}.");
            WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true); // with PSPath, so it pipes into Get-Content
        }
    }

    private static List<CurveSeries> Series(IReadOnlyList<FedRun> runs, string metric, string groupBy) =>
        RunGroups.By(runs, groupBy)
            .Select(g => new CurveSeries(g.Label, g.Runs.Select(r => Points(r.Rounds, metric)).ToArray()))
            .ToList();

    /// <summary>Round results on the pipeline: each server's rounds are a run (a new run starts where its round number falls back).</summary>
    private static List<CurveSeries> Series(IEnumerable<RoundResult> rounds, string metric, string groupBy)
    {
        Func<RoundResult, string> label = groupBy.ToLowerInvariant() switch
        {
            "server" or "name" => r => r.Server,
            "strategy" => r => r.Strategy,
            _ => throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Round results are grouped by Server or Strategy, not '{groupBy}' (runs from a store group by their settings too).", groupBy),
        };
        var runs = new List<List<RoundResult>>();
        foreach (var round in rounds)
        {
            if (runs.Count == 0 || round.Server != runs[^1][^1].Server || round.Round <= runs[^1][^1].Round)
            {
                runs.Add([]);
            }

            runs[^1].Add(round);
        }

        return runs.GroupBy(r => label(r[0]))
            .Select(g => new CurveSeries(g.Key, g.Select(r => (IReadOnlyList<(double, double)>)Points(r, metric)).ToArray()))
            .ToList();
    }

    private static List<(double, double)> Points(IEnumerable<RoundResult> rounds, string metric) =>
        rounds.Select(r => ((double)r.Round, RoundMetrics.Value(r, metric))).Where(p => double.IsFinite(p.Item2)).ToList();
}
