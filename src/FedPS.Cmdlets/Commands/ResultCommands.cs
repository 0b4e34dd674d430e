using System.Collections;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.Get, "FedRun")]
[OutputType(typeof(FedRun))]
public sealed class GetFedRunCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Database { get; set; } = string.Empty;

    /// <summary>Run names, wildcards allowed.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    public string[] Name { get; set; } = ["*"];

    [Parameter]
    public string? Experiment { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(RunStatusCompleter))]
    public string[]? Status { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public string[]? Strategy { get; set; }

    /// <summary>Settings that must match: @{ 'optimizer.learningRate' = 0.1; seed = 1 } (config paths or swept parameters).</summary>
    [Parameter]
    public Hashtable? Filter { get; set; }

    protected override void Process()
    {
        var patterns = Name.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        var runs = ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns(Experiment)
            .Where(r => patterns.Any(p => p.IsMatch(r.Name)))
            .Where(r => Status is null || Status.Contains(r.Status, StringComparer.OrdinalIgnoreCase))
            .Where(r => Strategy is null || Strategy.Contains(r.Strategy, StringComparer.OrdinalIgnoreCase))
            .Where(Matches);
        WriteObject(runs, enumerateCollection: true);
    }

    private bool Matches(FedRun run) =>
        Filter is null || Filter.Keys.Cast<object>().All(key =>
        {
            var name = key.ToString()!;
            var actual = run.Parameters.GetValueOrDefault(name) ?? run.ConfigValue(name);
            var wanted = LanguagePrimitives.ConvertTo<string>(Filter[key]);
            return actual is not null && (string.Equals(actual, wanted, StringComparison.OrdinalIgnoreCase) ||
                                          (double.TryParse(actual, System.Globalization.CultureInfo.InvariantCulture, out var a) &&
                                           double.TryParse(wanted, System.Globalization.CultureInfo.InvariantCulture, out var b) && a == b));
        });
}

[Cmdlet(VerbsData.Export, "FedResult", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFedResultCommand : FedCmdlet
{
    private readonly List<FedRun> runs = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Runs")]
    public FedRun[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "Database")]
    public string Database { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Csv or Json; by default from the file extension.</summary>
    [Parameter]
    [ValidateSet("Csv", "Json")]
    public string? Format { get; set; }

    protected override void Process() => runs.AddRange(InputObject);

    protected override void End()
    {
        if (ParameterSetName == "Database")
        {
            runs.AddRange(ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns());
        }

        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var format = Format ?? (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "Json" : "Csv");
        if (ShouldProcess(path, $"Write {runs.Count} run(s) as {format}"))
        {
            ResultExport.Write(runs, path, format);
            WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true); // with PSPath, so it pipes into Get-Content
        }
    }
}

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
        runs.GroupBy(r => r.Describe(GroupBy))
            .Select(g => new CurveSeries(g.Key, g.Select(Points).ToArray()))
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
