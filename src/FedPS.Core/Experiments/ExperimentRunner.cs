using System.Collections.Concurrent;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Models;
using FedPS.Core.Simulation;
using TorchSharp;

namespace FedPS.Core.Experiments;

/// <summary>How an experiment is run (not what it computes: that is the <see cref="RunSpec"/>).</summary>
public sealed record ExperimentOptions
{
    /// <summary>Runs executed at once, each on its own thread; torch's threads are split between them.</summary>
    public int ThrottleLimit { get; init; } = 1;

    /// <summary>Skip complete runs and continue unfinished ones from their last checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Where each run's checkpoint (&lt;run key&gt;.safetensors) is written.</summary>
    public required string CheckpointDirectory { get; init; }

    /// <summary>If set, each run writes TensorBoard event files into a subfolder named after it.</summary>
    public string? LogDirectory { get; init; }
}

/// <summary>What the runner reports while it works; called from worker threads.</summary>
public interface IExperimentObserver
{
    void RunStarted(PlannedRun run, int fromRound);

    void RoundCompleted(PlannedRun run, RoundResult round);

    void LocalStep(PlannedRun run, RoundProgress progress);

    void RunFinished(PlannedRun run, FedRun result, bool skipped);

    void RunFailed(PlannedRun run, FedPSException error);
}

/// <summary>
/// Runs the points of an <see cref="ExperimentPlan"/>: builds each run's clients and server from its spec, runs
/// its rounds, writes every round to the store and a checkpoint after it, and marks the run complete. A run
/// interrupted by a crash or Ctrl+C continues from its checkpoint with -Resume and ends bit-identical to an
/// uninterrupted one, since every random draw derives from (seed, round, client).
/// </summary>
public sealed class ExperimentRunner(ResultsStore store, ExperimentOptions options)
{
    private readonly ConcurrentDictionary<(string, string), FedDataset> datasets = new();

    /// <summary>
    /// Checks the plan against the store before anything runs (so a refused start leaves the store unchanged).
    /// <paramref name="selected"/> are the runs about to execute (by default all): only they may not exist yet
    /// without -Resume, while the whole plan decides whether an unfinished run in the store belongs to this sweep.
    /// </summary>
    public void CheckStore(ExperimentPlan plan, IReadOnlyList<PlannedRun>? selected = null)
    {
        var existing = (selected ?? plan.Runs).Select(r => (Run: r, Stored: store.Find(r.Key))).Where(p => p.Stored is not null).ToArray();
        if (!options.Resume && existing.Length > 0)
        {
            throw new FedPSException(FedErrorKind.InvalidOperation,
                $"The store '{store.Path}' already holds {existing.Length} run(s) of this sweep (e.g. '{existing[0].Run.Name}'). " +
                "Pass -Resume to skip the finished ones and continue the others, or use another -Database.", store.Path);
        }

        if (options.Resume)
        {
            var keys = plan.Runs.Select(r => r.Key).ToHashSet();
            var stranger = store.GetRuns(plan.Name).FirstOrDefault(r => r.Status != "complete" && !keys.Contains(r.Key));
            if (stranger is not null)
            {
                var twin = plan.Runs.FirstOrDefault(r => r.Seed == stranger.Seed) ?? plan.Runs[0];
                throw new FedPSException(FedErrorKind.InvalidOperation,
                    $"Cannot resume: the store's unfinished run '{stranger.Name}' was started with a different config " +
                    $"({ConfigDiff.First(stranger.Config, twin.ConfigJson)}). Restore the original config, or start the changed sweep in another -Database.",
                    stranger.Name);
            }
        }
    }

    /// <summary>Runs the plan's runs, or only <paramref name="selected"/> of them (one worker's share of a distributed sweep).</summary>
    public void Run(ExperimentPlan plan, IExperimentObserver observer, CancellationToken cancel, IReadOnlyList<PlannedRun>? selected = null)
    {
        CheckStore(plan, selected);
        var runs = selected ?? plan.Runs;
        Directory.CreateDirectory(options.CheckpointDirectory);
        foreach (var spec in runs.Select(r => r.Spec.Dataset).Distinct())
        {
            Dataset(spec.Name, spec.TrainSplit);
            Dataset(spec.Name, spec.TestSplit);
        }

        var throttle = Math.Clamp(options.ThrottleLimit, 1, Math.Max(1, runs.Count));
        var threads = torch.get_num_threads();
        var perWorker = Math.Max(1, threads / throttle);
        try
        {
            if (throttle == 1)
            {
                // One at a time on the calling thread: what strategies written in PowerShell need (their methods
                // run only on the thread of the session that defined them).
                torch.set_num_threads(perWorker);
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
                torch.set_num_threads(perWorker);
                RunOne(run, observer, cancel);
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            var first = ex.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? ex.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    private void RunOne(PlannedRun run, IExperimentObserver observer, CancellationToken cancel)
    {
        var stored = store.Find(run.Key);
        if (stored?.Status == "complete")
        {
            observer.RunFinished(run, store.GetRuns(key: run.Key).Single(), skipped: true);
            return;
        }

        var spec = run.Spec;
        var (train, test) = spec.Dataset.Carve(Dataset(spec.Dataset.Name, spec.Dataset.TrainSplit), Dataset(spec.Dataset.Name, spec.Dataset.TestSplit));
        var model = new FedModel(spec.Model with { InputShape = train.Shape, Classes = train.ClassCount }, spec.Seed);
        var clients = FedClientData.Split(train, spec.Partition.CreatePartitioner(), spec.Clients, spec.Seed)
            .Select(d => new FedClient(d, spec.CreateLocalTraining())).ToArray();
        using var server = new FedServer(model, clients, spec.Strategy.Create(), test, spec.SampleFraction, spec.Seed, name: run.Name, stages: spec.Stages());

        var checkpoint = Path.Combine(options.CheckpointDirectory, run.Key + ".safetensors");
        if (stored is not null && File.Exists(checkpoint))
        {
            Checkpoint.Restore(server, checkpoint, run.ConfigJson);
        }

        var runId = store.BeginRun(run, server.Round);
        observer.RunStarted(run, server.Round);
        var log = options.LogDirectory is null ? null : new TensorBoardLog(Path.Combine(options.LogDirectory, run.Name.Replace('/', '_')));
        try
        {
            var progress = new StepProgress(step => observer.LocalStep(run, step));
            while (server.Round < spec.Rounds)
            {
                var number = server.Round + 1;
                var last = number == spec.Rounds;
                var result = server.RunRound(progress, cancel, evaluate: last || number % spec.EvalEvery == 0);

                // Store first, checkpoint second: a crash between them leaves the store one round ahead, and
                // resuming from the older checkpoint drops that round and recomputes it identically. The other
                // order would skip the round in the store.
                store.AddRound(runId, result);
                if (last || number % spec.CheckpointEvery == 0)
                {
                    Checkpoint.Save(server, checkpoint, run.ConfigJson);
                }

                log?.Write(result);
                observer.RoundCompleted(run, result);
            }

            store.Finish(runId, "complete", Checkpoint.Fingerprint(server.Strategy.Global.Values));
            observer.RunFinished(run, store.GetRuns(key: run.Key).Single(), skipped: false);
        }
        catch (OperationCanceledException)
        {
            store.Finish(runId, "interrupted");
            throw;
        }
        catch (FedPSException ex)
        {
            store.Finish(runId, "failed", error: ex.Message);
            observer.RunFailed(run, ex);
        }
    }

    private FedDataset Dataset(string name, string split) =>
        datasets.GetOrAdd((name, split), key => DatasetCatalog.Get(key.Item1).Load(key.Item2, Runtime.FedDevice.Current));

    private sealed class StepProgress(Action<RoundProgress> report) : IProgress<RoundProgress>
    {
        public void Report(RoundProgress value) => report(value);
    }
}

/// <summary>The first setting two resolved configs (canonical JSON) disagree on, for error messages.</summary>
public static class ConfigDiff
{
    public static string First(string oldJson, string newJson)
    {
        var a = System.Text.Json.Nodes.JsonNode.Parse(oldJson);
        var b = System.Text.Json.Nodes.JsonNode.Parse(newJson);
        return Walk(a, b, string.Empty) ?? "no setting differs";
    }

    private static string? Walk(System.Text.Json.Nodes.JsonNode? a, System.Text.Json.Nodes.JsonNode? b, string path)
    {
        if (a is System.Text.Json.Nodes.JsonObject x && b is System.Text.Json.Nodes.JsonObject y)
        {
            foreach (var key in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
            {
                if (Walk(x[key], y[key], path.Length == 0 ? key : $"{path}.{key}") is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        var left = a?.ToJsonString() ?? "(none)";
        var right = b?.ToJsonString() ?? "(none)";
        return left == right ? null : $"{path} was {left}, is now {right}";
    }
}
