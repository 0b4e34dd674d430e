using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

/// <summary>Reads -Config (a YAML path or a hashtable) and expands it: shared by the experiment cmdlets.</summary>
internal static class ConfigParameter
{
    public static ExperimentPlan Expand(PSCmdlet cmdlet, object config, bool force)
    {
        var value = config is PSObject ps ? ps.BaseObject : config;
        var parsed = value switch
        {
            IDictionary map => ExperimentConfig.FromDictionary(map),
            string path => ExperimentConfig.Load(cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path)),
            FileInfo file => ExperimentConfig.Load(file.FullName),
            _ => throw new FedPSException(FedErrorKind.InvalidArgument,
                "-Config takes the path of a YAML file or a hashtable of settings.", config),
        };
        return parsed.Expand(ExperimentConfig.DefaultMaxRuns, force);
    }
}

[Cmdlet(VerbsCommon.Get, "FedExperimentPlan")]
[OutputType(typeof(PlannedRun))]
public sealed class GetFedExperimentPlanCommand : FedCmdlet
{
    /// <summary>A YAML file or a hashtable.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object Config { get; set; } = null!;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process() => WriteObject(ConfigParameter.Expand(this, Config, Force).Runs, enumerateCollection: true);
}

[Cmdlet(VerbsLifecycle.Invoke, "FedExperiment", SupportsShouldProcess = true)]
[OutputType(typeof(FedRun))]
public sealed class InvokeFedExperimentCommand : FedCmdlet
{
    private readonly CancellationTokenSource stop = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object Config { get; set; } = null!;

    /// <summary>Only the runs of the plan with these names (wildcards): one worker's share of a distributed sweep.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(PlannedRunNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>The SQLite results store (created if missing).</summary>
    [Parameter]
    public string Database { get; set; } = "results.sqlite";

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 1;

    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Run a sweep larger than the limit.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public string? LogDir { get; set; }

    /// <summary>Checkpoint folder; default &lt;database name&gt;.checkpoints beside the store.</summary>
    [Parameter]
    public string? CheckpointPath { get; set; }

    protected override void Process()
    {
        var plan = ConfigParameter.Expand(this, Config, Force);
        var database = GetUnresolvedProviderPathFromPSPath(Database);
        var patterns = (Name ?? ["*"]).Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        var runs = plan.Runs
            .Where(r => patterns.Any(p => p.IsMatch(r.Name)))
            .Where(r => ShouldProcess(r.Name, $"Run {r.Rounds} rounds of {r.Strategy} on {r.Dataset}, seed {r.Seed}"))
            .ToArray();
        if (runs.Length == 0)
        {
            return;
        }

        var store = ResultsStore.Open(database);
        var options = new ExperimentOptions
        {
            ThrottleLimit = ThrottleLimit,
            Resume = Resume,
            CheckpointDirectory = CheckpointPath is null
                ? Path.ChangeExtension(database, ".checkpoints")
                : GetUnresolvedProviderPathFromPSPath(CheckpointPath),
            LogDirectory = LogDir is null ? null : GetUnresolvedProviderPathFromPSPath(LogDir),
        };
        var runner = new ExperimentRunner(store, options);
        runner.CheckStore(plan, runs);

        using var events = new BlockingCollection<Action>();
        var observer = new Observer(this, events, runs.Length, runs.Max(r => r.Rounds));
        var work = Task.Run(() =>
        {
            try
            {
                runner.Run(plan, observer, stop.Token, runs);
            }
            finally
            {
                events.CompleteAdding();
            }
        });
        foreach (var action in events.GetConsumingEnumerable())
        {
            action();
        }

        observer.Complete();
        work.GetAwaiter().GetResult();
    }

    protected override void StopProcessing() => stop.Cancel();

    /// <summary>Marshals the workers' reports to the pipeline thread; nested progress sweep → run → round.</summary>
    private sealed class Observer(InvokeFedExperimentCommand cmdlet, BlockingCollection<Action> events, int total, int rounds) : IExperimentObserver
    {
        private const int SweepId = 1;
        private static readonly TimeSpan StepInterval = TimeSpan.FromMilliseconds(250);
        private readonly ConcurrentDictionary<int, DateTime> lastStep = new();
        private int finished;

        public void RunStarted(PlannedRun run, int fromRound) => Post(() =>
        {
            if (fromRound > 0)
            {
                cmdlet.WriteVerbose($"{run.Name}: resuming after round {fromRound}.");
            }

            Sweep();
            cmdlet.WriteProgress(RunRecord(run, fromRound));
        });

        public void RoundCompleted(PlannedRun run, RoundResult round) => Post(() => cmdlet.WriteProgress(RunRecord(run, round.Round)));

        public void LocalStep(PlannedRun run, RoundProgress progress)
        {
            var now = DateTime.UtcNow;
            var roundStarts = progress is { ClientIndex: 0, Step: 1 };
            if (!roundStarts && now - lastStep.GetOrAdd(run.Index, DateTime.MinValue) < StepInterval)
            {
                return;
            }

            lastStep[run.Index] = now;
            Post(() => cmdlet.WriteProgress(new ProgressRecord(RoundId(run), $"Round {progress.Round}",
                $"Client {progress.ClientId} ({progress.ClientIndex + 1} of {progress.ClientCount}), step {progress.Step} of {progress.Steps}")
            {
                ParentActivityId = RunId(run),
                PercentComplete = 100 * ((progress.ClientIndex * progress.Steps) + progress.Step) / Math.Max(1, progress.ClientCount * progress.Steps),
            }));
        }

        public void RunFinished(PlannedRun run, FedRun result, bool skipped) => Post(() =>
        {
            finished++;
            if (skipped)
            {
                cmdlet.WriteVerbose($"{run.Name}: already complete, skipped.");
            }

            cmdlet.WriteProgress(new ProgressRecord(RoundId(run), "Round", "Done") { ParentActivityId = RunId(run), RecordType = ProgressRecordType.Completed });
            cmdlet.WriteProgress(new ProgressRecord(RunId(run), run.Name, "Done") { ParentActivityId = SweepId, RecordType = ProgressRecordType.Completed });
            Sweep();
            cmdlet.WriteObject(result);
        });

        public void RunFailed(PlannedRun run, FedPSException error) => Post(() =>
        {
            finished++;
            cmdlet.WriteError(ToErrorRecord(error));
        });

        public void Complete() =>
            cmdlet.WriteProgress(new ProgressRecord(SweepId, "Sweep", "Done") { RecordType = ProgressRecordType.Completed });

        private void Sweep() => cmdlet.WriteProgress(new ProgressRecord(SweepId, "Sweep", $"{finished} of {total} runs finished")
        {
            PercentComplete = 100 * finished / Math.Max(1, total),
        });

        private ProgressRecord RunRecord(PlannedRun run, int round) =>
            new(RunId(run), run.Name, $"Round {round} of {run.Rounds}")
            {
                ParentActivityId = SweepId,
                PercentComplete = 100 * round / Math.Max(1, Math.Max(rounds, run.Rounds)),
            };

        private static int RunId(PlannedRun run) => 1000 + run.Index;

        private static int RoundId(PlannedRun run) => 100000 + run.Index;

        private void Post(Action action)
        {
            if (!events.IsAddingCompleted)
            {
                events.Add(action);
            }
        }
    }
}

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

[Cmdlet(VerbsData.Save, "FedCheckpoint", SupportsShouldProcess = true)]
[OutputType(typeof(CheckpointInfo))]
public sealed class SaveFedCheckpointCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = string.Empty;

    protected override void Process()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if (ShouldProcess(path, $"Save round {Server.Round} of the server"))
        {
            WriteObject(Checkpoint.Save(Server, path));
        }
    }
}

[Cmdlet(VerbsData.Restore, "FedCheckpoint")]
[OutputType(typeof(FedServer))]
public sealed class RestoreFedCheckpointCommand : FedCmdlet
{
    /// <summary>A server built like the one that saved the checkpoint (same model, clients, strategy and seed).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = string.Empty;

    protected override void Process()
    {
        var info = Checkpoint.Restore(Server, GetUnresolvedProviderPathFromPSPath(Path));
        WriteVerbose($"Restored round {info.Round} from {info.Path} (SHA-256 {info.Sha256}).");
        WriteObject(Server);
    }
}
