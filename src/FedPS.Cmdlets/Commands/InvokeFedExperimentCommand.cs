using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Cmdlets.Formatting;
using FedPS.Cmdlets.Reporting;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsLifecycle.Invoke, "FedExperiment", SupportsShouldProcess = true)]
[OutputType(typeof(FedRun))]
public sealed class InvokeFedExperimentCommand : FedCmdlet
{
    private readonly CancellationTokenSource stop = new();
    private readonly List<PlannedRun> picked = [];

    /// <summary>A YAML file, a hashtable, or runs of a plan (Get-FedExperimentPlan), piped or given.</summary>
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

    /// <summary>Runs at once; default one per core (each then gets one torch thread with the default threading).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Run a sweep larger than the limit.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public string? LogDir { get; set; }

    /// <summary>With -LogDir: also log each client's numbers per round (one TensorBoard run per client).</summary>
    [Parameter]
    public SwitchParameter LogClients { get; set; }

    /// <summary>Checkpoint folder; default &lt;database name&gt;.checkpoints beside the store.</summary>
    [Parameter]
    public string? CheckpointPath { get; set; }

    protected override void Process()
    {
        var runs = PlannedRuns(Config);
        if (runs is not null)
        {
            picked.AddRange(runs);
            return;
        }

        ProcessItem(Config, () => Run(ConfigParameter.Expand(this, Config, Force)));
    }

    /// <summary>Runs picked from plans (Get-FedExperimentPlan ... | Where-Object ... | Invoke-FedExperiment): one sweep per experiment.</summary>
    protected override void End()
    {
        foreach (var experiment in picked.GroupBy(r => r.Experiment))
        {
            ProcessItem(experiment.Key, () => Run(new ExperimentPlan(experiment.Key, "the pipeline",
                experiment.DistinctBy(r => r.Key).OrderBy(r => r.Index).ToArray()) { IsWholeSweep = false }));
        }
    }

    /// <summary>The planned runs in -Config (one, or a list of them), or null when it is a config.</summary>
    private static IReadOnlyList<PlannedRun>? PlannedRuns(object config)
    {
        var value = config is PSObject ps ? ps.BaseObject : config;
        var items = value is IEnumerable list and not (string or IDictionary) ? list.Cast<object?>().ToArray() : [value];
        var runs = items.Select(i => (i is PSObject p ? p.BaseObject : i) as PlannedRun).OfType<PlannedRun>().ToArray();
        return items.Length > 0 && runs.Length == items.Length ? runs : null;
    }

    private void Run(ExperimentPlan plan)
    {
        var database = GetUnresolvedProviderPathFromPSPath(Database);
        var patterns = (Name ?? ["*"]).Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        var selected = plan.Runs.Where(r => patterns.Any(p => p.IsMatch(r.Name))).ToArray();

        // What the store holds decides what each run needs, so look before announcing anything: with -Resume a
        // complete run is skipped, not announced as if it ran, and an unfinished one continues where it stopped.
        var stored = ResultsStore.PeekRuns(database).ToDictionary(r => r.Key);
        var complete = Resume ? selected.Where(r => stored.GetValueOrDefault(r.Key)?.Status == RunStatus.Complete).ToHashSet() : [];
        foreach (var run in complete)
        {
            WriteVerbose($"{run.Name}: already complete in {database}; skipped.");
        }

        var runs = selected.Where(r => complete.Contains(r) || ShouldProcess(r.Name, Action(r, stored.GetValueOrDefault(r.Key)))).ToArray();
        if (runs.Length == complete.Count)
        {
            // Nothing to run: the runs asked for are complete (written as stored), or were declined (-WhatIf, -Confirm).
            var view = SweepView.ForRuns(this, plan.Runs.SelectMany(r => r.Parameters));
            var written = selected.Length == complete.Count && complete.Count > 0 ? ResultsStore.OpenExisting(database).GetRuns() : [];
            foreach (var run in written.Where(r => complete.Any(c => c.Key == r.Key)))
            {
                WriteObject(view.Tag(run));
            }

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
            LogClients = LogClients,
        };
        var runner = new ExperimentRunner(store, options);
        runner.CheckStore(plan, runs);

        // Strategies written in PowerShell run only on this session's thread: those runs go one at a time, here,
        // after the others have run on worker threads.
        var scripted = runs.Where(r => r.Spec.Strategy.ThreadAffine).ToArray();
        var pooled = runs.Except(scripted).ToArray();
        using var events = new BlockingCollection<Action>();
        var observer = new Observer(this, events, runs.Length, runs.Max(r => r.Rounds), SweepView.ForRuns(this, plan.Runs.SelectMany(r => r.Parameters)), complete);
        if (pooled.Length > 0)
        {
            var work = Task.Run(() =>
            {
                try
                {
                    runner.Run(plan, observer, stop.Token, pooled);
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

            work.GetAwaiter().GetResult();
        }

        if (scripted.Length > 0)
        {
            WriteVerbose($"{scripted.Length} run(s) use a strategy written in PowerShell; they run one at a time on this session's thread.");
            observer.RunInline();
            new ExperimentRunner(store, options with { ThrottleLimit = 1 }).Run(plan, observer, stop.Token, scripted);
        }

        observer.Complete();
    }

    protected override void StopProcessing() => stop.Cancel();

    private string Action(PlannedRun run, StoredRun? stored) => stored is { Status: not RunStatus.Complete, LastRound: > 0 } && Resume
        ? $"Continue from round {stored.LastRound} to round {run.Rounds} ({run.Strategy} on {run.Dataset}, seed {run.Seed})"
        : $"Run {run.Rounds} rounds of {run.Strategy} on {run.Dataset}, seed {run.Seed}";

    /// <summary>Marshals the workers' reports to the pipeline thread; nested progress sweep → run → round.</summary>
    private sealed class Observer(InvokeFedExperimentCommand cmdlet, BlockingCollection<Action> events, int total, int rounds,
        SweepView view, IReadOnlySet<PlannedRun> announcedSkips) : IExperimentObserver
    {
        private const int SweepId = 1;
        private static readonly TimeSpan StepInterval = TimeSpan.FromMilliseconds(250);
        private readonly ConcurrentDictionary<int, DateTime> lastStep = new();
        private int finished;

        public void RunStarted(PlannedRun run, int fromRound) => Post(() =>
        {
            cmdlet.WriteVerbose(fromRound > 0
                ? $"{run.Name}: resuming after round {fromRound} of {run.Rounds}."
                : $"{run.Name}: started, {run.Rounds} rounds of {run.Strategy} on {run.Dataset} with {run.Clients} clients, seed {run.Seed}.");

            Sweep();
            cmdlet.WriteProgress(RunRecord(run, fromRound));
        });

        public void RoundCompleted(PlannedRun run, RoundResult round) => Post(() =>
        {
            RoundReport.Write(cmdlet, round);
            cmdlet.WriteProgress(RunRecord(run, round.Round));
        });

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
            if (skipped && !announcedSkips.Contains(run))
            {
                cmdlet.WriteVerbose($"{run.Name}: completed meanwhile by another process; skipped.");
            }
            else if (!skipped)
            {
                cmdlet.WriteVerbose(FormattableString.Invariant($"{run.Name}: complete after {result.RoundsCompleted} rounds, test accuracy {result.TestAccuracy:P2}."));
            }

            cmdlet.WriteProgress(new ProgressRecord(RoundId(run), "Round", "Done") { ParentActivityId = RunId(run), RecordType = ProgressRecordType.Completed });
            cmdlet.WriteProgress(new ProgressRecord(RunId(run), run.Name, "Done") { ParentActivityId = SweepId, RecordType = ProgressRecordType.Completed });
            Sweep();
            cmdlet.WriteObject(view.Tag(result));
        });

        public void RunFailed(PlannedRun run, Exception error) => Post(() =>
        {
            finished++;
            cmdlet.WriteError(ErrorRecords.From(error, run.Name));
        });

        public void RunHeldElsewhere(PlannedRun run, RunOwner owner) => Post(() =>
        {
            finished++;
            cmdlet.WriteWarning($"{run.Name}: being run by process {owner.ProcessId} on {owner.Host}; left to it.");
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

        private bool inline;

        /// <summary>From now on, reports come from the pipeline thread itself and are written at once.</summary>
        public void RunInline() => inline = true;

        private void Post(Action action)
        {
            if (inline)
            {
                action();
            }
            else if (!events.IsAddingCompleted)
            {
                events.Add(action);
            }
        }
    }
}
