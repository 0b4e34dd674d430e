using System.Collections.Concurrent;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Cmdlets.Reporting;
using FedPS.Core;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

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

    /// <summary>Checkpoint folder; default &lt;database name&gt;.checkpoints beside the store.</summary>
    [Parameter]
    public string? CheckpointPath { get; set; }

    protected override void Process() => ProcessItem(Config, Run);

    private void Run()
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

        // Strategies written in PowerShell run only on this session's thread: those runs go one at a time, here,
        // after the others have run on worker threads.
        var scripted = runs.Where(r => r.Spec.Strategy.ThreadAffine).ToArray();
        var pooled = runs.Except(scripted).ToArray();
        using var events = new BlockingCollection<Action>();
        var observer = new Observer(this, events, runs.Length, runs.Max(r => r.Rounds));
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
            if (skipped)
            {
                cmdlet.WriteVerbose($"{run.Name}: already complete, skipped.");
            }

            cmdlet.WriteProgress(new ProgressRecord(RoundId(run), "Round", "Done") { ParentActivityId = RunId(run), RecordType = ProgressRecordType.Completed });
            cmdlet.WriteProgress(new ProgressRecord(RunId(run), run.Name, "Done") { ParentActivityId = SweepId, RecordType = ProgressRecordType.Completed });
            Sweep();
            cmdlet.WriteObject(result);
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
