using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Export, "FedPlot", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFedPlotCommand : FedCmdlet
{
    private readonly List<object> items = [];

    /// <summary>FedRun objects (Get-FedRun, Invoke-FedExperiment) or RoundResult objects (Invoke-FedRound).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Objects")]
    public PSObject[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "Database")]
    public string Database { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    [ArgumentCompleter(typeof(MetricNameCompleter))]
    public string Metric { get; set; } = "TestAccuracy";

    /// <summary>A run property (Strategy, Dataset, Point), a swept parameter, or a config path; one curve per value.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(GroupByCompleter))]
    public string GroupBy { get; set; } = "Strategy";

    [Parameter]
    public string? Title { get; set; }

    protected override void Process() => items.AddRange(InputObject.Select(o => o.BaseObject));

    protected override void End()
    {
        var series = ParameterSetName == "Database"
            ? Series(ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns())
            : items.OfType<RoundResult>().Any()
                ? Series(items.OfType<RoundResult>())
                : Series(items.OfType<FedRun>().ToArray());
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if (ShouldProcess(path, $"Plot {Metric} by {GroupBy}"))
        {
            CurvePlot.SavePng(path, series, new PlotLabels(Title ?? $"{Metric} by {GroupBy}", "Round", Metric));
            WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true); // with PSPath, so it pipes into Get-Content
        }
    }

    private List<CurveSeries> Series(IReadOnlyList<FedRun> runs) =>
        RunGroups.By(runs, GroupBy)
            .Select(g => new CurveSeries(g.Label, g.Runs.Select(Points).ToArray()))
            .ToList();

    /// <summary>Round results on the pipeline: a new run starts where the round number falls; grouped by strategy.</summary>
    private List<CurveSeries> Series(IEnumerable<RoundResult> rounds)
    {
        var runs = new List<List<RoundResult>>();
        foreach (var round in rounds)
        {
            if (runs.Count == 0 || round.Round <= runs[^1][^1].Round)
            {
                runs.Add([]);
            }

            runs[^1].Add(round);
        }

        return runs.GroupBy(r => r[0].Strategy)
            .Select(g => new CurveSeries(g.Key, g.Select(r => (IReadOnlyList<(double, double)>)Points(r)).ToArray()))
            .ToList();
    }

    private IReadOnlyList<(double X, double Y)> Points(FedRun run) => Points(run.Rounds);

    private List<(double, double)> Points(IEnumerable<RoundResult> rounds) =>
        rounds.Select(r => ((double)r.Round, ResultExport.Metric(r, Metric))).Where(p => double.IsFinite(p.Item2)).ToList();
}
