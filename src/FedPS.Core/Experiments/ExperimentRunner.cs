using System.Collections.Concurrent;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.IO;
using FedPS.Core.Models;
using FedPS.Core.Simulation;
using TorchSharp;

namespace FedPS.Core.Experiments;

/// <summary>How an experiment is run (not what it computes: that is the <see cref="RunSpec"/>).</summary>
public sealed record ExperimentOptions
{
    /// <summary>
    /// Runs executed at once, each on its own thread; the session's torch threads are split between them (each gets
    /// at least one). The default, one run per core, was the fastest way to spend the cores on a sweep (docs/performance.md).
    /// </summary>
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;

    /// <summary>Skip complete runs and continue unfinished ones from their last checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Where each run's checkpoint (&lt;run key&gt;.safetensors) is written.</summary>
    public required string CheckpointDirectory { get; init; }

    /// <summary>If set, each run writes TensorBoard event files into a subfolder named after it.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>With <see cref="LogDirectory"/>: also each client's numbers per round, one TensorBoard run per client.</summary>
    public bool LogClients { get; init; }
}

/// <summary>What the runner reports while it works; called from worker threads.</summary>
public interface IExperimentObserver
{
    void RunStarted(PlannedRun run, int fromRound);

    void RoundCompleted(PlannedRun run, RoundResult round);

    void LocalStep(PlannedRun run, RoundProgress progress);

    void RunFinished(PlannedRun run, FedRun result, bool skipped);

    /// <summary>The run failed (any error); it is stored as failed and the sweep goes on.</summary>
    void RunFailed(PlannedRun run, Exception error);

    /// <summary>The run is being run by another live process (two workers on one sweep), so this one left it.</summary>
    void RunHeldElsewhere(PlannedRun run, RunOwner owner);
}

/// <summary>
/// Runs the points of an <see cref="ExperimentPlan"/>: registers them in the store as planned, then claims each run,
/// builds its clients and server from its spec, runs its rounds, writes every round to the store and a checkpoint
/// after it, and marks the run complete. Every way a run ends goes through <see cref="RunStatus"/>: any error marks
/// it failed (and the sweep goes on), Ctrl+C and process exit mark it interrupted. A run interrupted by a crash or
/// Ctrl+C continues from its checkpoint with -Resume and ends bit-identical to an uninterrupted one, since every
/// random draw derives from (seed, round, client).
/// </summary>
public sealed class ExperimentRunner(ResultsStore store, ExperimentOptions options)
{
    private readonly ConcurrentDictionary<(string Name, string Split, ValidationHoldout? Holdout), FedDataset> datasets = new();

    /// <summary>
    /// Checks the plan against the store before anything runs, without changing it. <paramref name="selected"/> are
    /// the runs about to execute (by default all); the whole plan decides whether an unfinished run in the store
    /// belongs to this sweep. <see cref="Run"/> repeats the check atomically with registering the runs.
    /// </summary>
    public void CheckStore(ExperimentPlan plan, IReadOnlyList<PlannedRun>? selected = null) =>
        Check(plan, selected ?? plan.Runs, plan.Runs.Select(r => r.Experiment).Distinct().SelectMany(store.RunsOf).ToArray());

    /// <summary>Runs the plan's runs, or only <paramref name="selected"/> of them (one worker's share of a distributed sweep).</summary>
    public void Run(ExperimentPlan plan, IExperimentObserver observer, CancellationToken cancel, IReadOnlyList<PlannedRun>? selected = null)
    {
        var runs = selected ?? plan.Runs;
        PrepareFolders();
        foreach (var spec in runs.Select(r => r.Spec.Dataset).Distinct())
        {
            Dataset(spec, spec.TrainSplit);
            Dataset(spec, spec.TestSplit);
        }

        store.Register(runs, stored => Check(plan, runs, stored));
        var throttle = Math.Clamp(options.ThrottleLimit, 1, Math.Max(1, runs.Count));
        // The user's thread count is shared among the workers; without one, a run alone uses FedPS's default for its
        // model, and parallel runs share the cores.
        int? perWorker = Runtime.FedDevice.ThreadsChosen ? Math.Max(1, Runtime.FedDevice.SessionThreads / throttle)
            : throttle == 1 ? null : Math.Max(1, Environment.ProcessorCount / throttle);
        try
        {
            if (throttle == 1)
            {
                // One at a time on the calling thread: what strategies written in PowerShell need (their methods
                // run only on the thread of the session that defined them).
                using var pin = perWorker is { } n ? Runtime.FedDevice.PinThreads(n) : null;
                foreach (var run in runs)
                {
                    cancel.ThrowIfCancellationRequested();
                    RunOne(run, observer, cancel);
                }

                return;
            }

            Parallel.ForEach(runs, new ParallelOptions { MaxDegreeOfParallelism = throttle, CancellationToken = cancel }, run =>
            {
                // libtorch's OpenMP thread count is a per-thread setting, and a pool thread starts with the
                // machine's default: set it on the thread that runs this run, or a run's float reductions (and so
                // its last bits) would depend on which thread picked it up.
                using var pin = Runtime.FedDevice.PinThreads(perWorker ?? 1);
                RunOne(run, observer, cancel);
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            var first = ex.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? ex.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    private void Check(ExperimentPlan plan, IReadOnlyList<PlannedRun> selected, IReadOnlyList<StoredRun> stored)
    {
        var byKey = stored.ToDictionary(r => r.Key);
        var existing = selected.Where(r => byKey.ContainsKey(r.Key)).ToArray();
        if (!options.Resume && existing.Length > 0)
        {
            throw new FedPSException(FedErrorKind.InvalidOperation,
                $"The store '{store.Path}' already holds {existing.Length} run(s) of this sweep (e.g. '{existing[0].Name}'). " +
                "Pass -Resume to skip the finished ones and continue the others, or use another -Database.", store.Path);
        }

        // A run's key hashes its whole config: the same name under another key is the same point with other settings,
        // which must not be mixed with it (resumed into, or averaged with it as if it were another seed).
        var byName = stored.ToLookup(r => r.Name);
        foreach (var run in selected.Where(r => !byKey.ContainsKey(r.Key)))
        {
            if (byName[run.Name].FirstOrDefault() is { } twin)
            {
                throw new FedPSException(FedErrorKind.InvalidOperation,
                    $"The store '{store.Path}' already holds run '{run.Name}' with a different config ({JsonDiff.First(twin.Config, run.ConfigJson)}). " +
                    "Restore the original config, give the experiment another name, or use another -Database.", run.Name);
            }
        }

        if (options.Resume && plan.IsWholeSweep)
        {
            var keys = plan.Runs.Select(r => r.Key).ToHashSet();
            var stranger = stored.FirstOrDefault(r => r.Status != RunStatus.Complete && !keys.Contains(r.Key));
            if (stranger is not null)
            {
                throw new FedPSException(FedErrorKind.InvalidOperation,
                    $"Cannot resume: the store's unfinished run '{stranger.Name}' was started with a different config " +
                    $"({JsonDiff.First(stranger.Config, (plan.Runs.FirstOrDefault(r => r.Name == stranger.Name) ?? plan.Runs[0]).ConfigJson)}). " +
                    "Restore the original config, or start the changed sweep in another -Database.",
                    stranger.Name);
            }
        }
    }

    /// <summary>Creates the checkpoint and log folders and checks they take files, before any run is registered.</summary>
    private void PrepareFolders()
    {
        foreach (var (folder, what) in new[] { (options.CheckpointDirectory, "checkpoint folder"), (options.LogDirectory, "log folder (-LogDir)") })
        {
            if (folder is null)
            {
                continue;
            }

            if (File.Exists(folder))
            {
                throw new FedPSException(FedErrorKind.InvalidArgument, $"The {what} '{folder}' is a file; give a folder.", folder);
            }

            FileWrites.Guard(folder, () =>
            {
                Directory.CreateDirectory(folder);
                var probe = Path.Combine(folder, $".fedps-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            });
        }
    }

    private void RunOne(PlannedRun run, IExperimentObserver observer, CancellationToken cancel)
    {
        // A worker that reaches its next run after a signal has begun the exit leaves it for a later -Resume.
        if (ProcessExitHook.IsExiting)
        {
            return;
        }

        switch (store.Claim(run))
        {
            case RunClaim.AlreadyComplete:
                observer.RunFinished(run, store.GetRuns(key: run.Key).Single(), skipped: true);
                return;
            case RunClaim.HeldElsewhere held:
                observer.RunHeldElsewhere(run, held.Owner);
                return;
            case RunClaim.Claimed claimed:
                // Whatever happens from here, the run leaves the running state (the hook covers the process exiting).
                using (ProcessExitHook.Register(() => store.Finish(claimed.Id, RunStatus.Interrupted, error: "The process exited during the run.")))
                {
                    if (ProcessExitHook.IsExiting)
                    {
                        return; // claimed as the exit began: the registration has marked it interrupted
                    }

                    try
                    {
                        Execute(run, claimed, observer, cancel);
                    }
                    catch (OperationCanceledException)
                    {
                        store.Finish(claimed.Id, RunStatus.Interrupted);
                        throw;
                    }
                    catch (Exception ex)
                    {
                        store.Finish(claimed.Id, RunStatus.Failed, error: ex.Message);
                        observer.RunFailed(run, ex);
                    }
                }

                return;
        }
    }

    private void Execute(PlannedRun run, RunClaim.Claimed claimed, IExperimentObserver observer, CancellationToken cancel)
    {
        var spec = run.Spec;
        var train = Dataset(spec.Dataset, spec.Dataset.TrainSplit);
        var test = Dataset(spec.Dataset, spec.Dataset.TestSplit);
        var model = new FedModel(spec.Model with { InputShape = train.Shape, Classes = train.ClassCount }, spec.Seed);
        var clients = FedClientData.Split(train, spec.Partition.CreatePartitioner(), spec.Clients, spec.Seed)
            .Select(d => new FedClient(d, spec.CreateLocalTraining())).ToArray();
        using var server = new FedServer(model, clients, spec.Strategy.Create(), test, spec.SampleFraction, spec.Seed, name: run.Name, stages: spec.Stages());

        // A checkpoint is this run's only if the run had started in this store: a planned run's checkpoint is left
        // over from an earlier store (deleted, or another -Database with the same checkpoint folder).
        var checkpoint = Path.Combine(options.CheckpointDirectory, run.Key + ".safetensors");
        if (claimed.Previous != RunStatus.Planned && File.Exists(checkpoint))
        {
            Checkpoint.Restore(server, checkpoint, run.ConfigJson);
        }

        store.TrimRounds(claimed.Id, server.Round);
        observer.RunStarted(run, server.Round);
        var log = options.LogDirectory is null ? null : new TensorBoardLog(Path.Combine(options.LogDirectory, run.Name.Replace('/', '_')), options.LogClients);
        using var session = log?.Start(run, cancel);
        var progress = new StepProgress(step => observer.LocalStep(run, step));
        while (server.Round < spec.Rounds)
        {
            var number = server.Round + 1;
            var last = number == spec.Rounds;
            var result = server.RunRound(progress, cancel, evaluate: last || number % spec.EvalEvery == 0);

            // Store first, checkpoint second: a crash between them leaves the store one round ahead, and
            // resuming from the older checkpoint drops that round and recomputes it identically. The other
            // order would skip the round in the store.
            store.AddRound(claimed.Id, result);
            if (last || number % spec.CheckpointEvery == 0)
            {
                Checkpoint.Save(server, checkpoint, run.ConfigJson);
            }

            log?.Write(result);
            observer.RoundCompleted(run, result);
        }

        session?.Complete();
        store.Finish(claimed.Id, RunStatus.Complete, Checkpoint.Fingerprint(server.Strategy.Global.Values));
        observer.RunFinished(run, store.GetRuns(key: run.Key).Single(), skipped: false);
    }

    // The test split never depends on a holdout, so it is cached once per dataset.
    private FedDataset Dataset(DatasetSpec spec, string split) =>
        datasets.GetOrAdd((spec.Name, split, split == "test" ? null : spec.Holdout),
            key => DatasetCatalog.Get(key.Name).Load(key.Split, Runtime.FedDevice.Current, holdout: key.Holdout));

    private sealed class StepProgress(Action<RoundProgress> report) : IProgress<RoundProgress>
    {
        public void Report(RoundProgress value) => report(value);
    }
}
