using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Core.Tests.Experiments;

/// <summary>The runner on the real digits data (installed by build.ps1 -Task Test before the engine tests run).</summary>
public sealed class ExperimentRunnerTests : IDisposable
{
    private const string Config = """
        name: cancel
        dataset: digits
        clients: 3
        rounds: 5
        model: { hiddenSizes: [16] }
        training: { batchSize: 32 }
        optimizer: { name: Sgd, learningRate: 0.1, momentum: 0.9 }
        """;

    private readonly string folder = Directory.CreateTempSubdirectory("fedps-runner-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private (ResultsStore Store, ExperimentRunner Runner) Runner(string name, bool resume = false)
    {
        var store = ResultsStore.Open(Path.Combine(folder, name + ".sqlite"));
        return (store, new ExperimentRunner(store, new ExperimentOptions
        {
            CheckpointDirectory = Path.Combine(folder, name + ".checkpoints"),
            Resume = resume,
            ThrottleLimit = 1, // one run after another: these tests reason about which run was where when stopped
        }));
    }

    [Fact]
    public void Ctrl_C_stops_within_a_local_step_leaves_a_consistent_store_and_resumes_exactly()
    {
        var plan = ExperimentConfig.Parse(Config, "c.yaml").Expand();
        var (store, runner) = Runner("stopped");
        using var stop = new CancellationTokenSource();
        var observer = new Recorder(p => { if (p is { Round: 3, Step: 2 }) stop.Cancel(); });

        Assert.ThrowsAny<OperationCanceledException>(() => runner.Run(plan, observer, stop.Token));

        Assert.Empty(observer.StepsAfterCancel); // not one more local step after Ctrl+C
        var interrupted = store.GetRuns().Single();
        Assert.Equal(RunStatus.Interrupted, interrupted.Status);
        Assert.Equal([1, 2], interrupted.Rounds.Select(r => r.Round));
        Assert.Equal(2, Checkpoint.Read(Path.Combine(folder, "stopped.checkpoints", plan.Runs[0].Key + ".safetensors")).State.Round);

        Runner("stopped", resume: true).Runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);
        var (_, straight) = Runner("straight");
        straight.Run(plan, new Recorder(_ => { }), CancellationToken.None);

        var resumed = store.GetRuns().Single();
        var reference = ResultsStore.OpenExisting(Path.Combine(folder, "straight.sqlite")).GetRuns().Single();
        Assert.Equal(RunStatus.Complete, resumed.Status);
        Assert.Equal(reference.ParametersSha256, resumed.ParametersSha256);
        Assert.Equal(reference.Rounds.Select(r => (r.Round, r.TrainLoss, r.TestLoss)), resumed.Rounds.Select(r => (r.Round, r.TrainLoss, r.TestLoss)));
    }

    [Fact]
    public void The_test_split_is_evaluated_at_the_eval_cadence_and_after_the_last_round()
    {
        var plan = ExperimentConfig.Parse(Config + "\nevalEvery: 2\n", "c.yaml").Expand();
        var (store, runner) = Runner("cadence");

        runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);

        var rounds = store.GetRuns().Single().Rounds;
        Assert.Equal([false, true, false, true, true], rounds.Select(r => double.IsFinite(r.TestLoss)));
        Assert.All(rounds, r => Assert.True(double.IsFinite(r.TrainLoss)));
    }

    [Fact]
    public void A_sweep_can_tune_on_a_validation_split_carved_from_train()
    {
        var plan = ExperimentConfig.Parse(Config.Replace("dataset: digits", "dataset: { name: digits, testSplit: validation, validationFraction: 0.2, validationSeed: 3 }", StringComparison.Ordinal), "c.yaml").Expand();
        var (store, runner) = Runner("validation");

        runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);

        var run = store.GetRuns().Single();
        Assert.Equal(RunStatus.Complete, run.Status);
        Assert.Contains("\"validationFraction\":0.2", run.Config, StringComparison.Ordinal);
        Assert.All(run.Rounds, r => Assert.True(double.IsFinite(r.TestAccuracy)));
    }

    [Fact]
    public void A_run_that_fails_with_any_exception_is_stored_as_failed_the_sweep_goes_on_and_resume_runs_it_again()
    {
        var plan = ExperimentConfig.Parse(Config + "\nseeds: [1, 2]\n", "c.yaml").Expand();
        var (store, runner) = Runner("failing");
        var failing = new Recorder(_ => { }) { OnRound = (run, round) => { if (run.Seed == 1 && round.Round == 2) throw new InvalidOperationException("disk on fire"); } };

        runner.Run(plan, failing, CancellationToken.None);

        var runs = store.GetRuns().OrderBy(r => r.Seed).ToArray();
        Assert.Equal([RunStatus.Failed, RunStatus.Complete], runs.Select(r => r.Status));
        Assert.Equal("disk on fire", runs[0].Error);
        Assert.IsType<InvalidOperationException>(Assert.Single(failing.Failures));

        Runner("failing", resume: true).Runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);

        var resumed = store.GetRuns().OrderBy(r => r.Seed).ToArray();
        Assert.Equal([RunStatus.Complete, RunStatus.Complete], resumed.Select(r => r.Status));
        Assert.Equal([1, 2, 3, 4, 5], resumed[0].Rounds.Select(r => r.Round));
        Assert.Null(resumed[0].Error);
    }

    [Fact]
    public void A_sweep_registers_its_runs_as_planned_so_a_stopped_sweep_shows_what_never_started()
    {
        var plan = ExperimentConfig.Parse(Config + "\nseeds: [1, 2]\n", "c.yaml").Expand();
        var (store, runner) = Runner("planned");
        using var stop = new CancellationTokenSource();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            runner.Run(plan, new Recorder(p => { if (p is { Round: 2, Step: 1 }) stop.Cancel(); }), stop.Token));

        Assert.Equal([RunStatus.Interrupted, RunStatus.Planned], store.GetRuns().OrderBy(r => r.Seed).Select(r => r.Status));
        Runner("planned", resume: true).Runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);
        Assert.All(store.GetRuns(), r => Assert.Equal(RunStatus.Complete, r.Status));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_changed_config_under_the_same_run_names_is_refused_and_the_store_left_unchanged(bool resume)
    {
        var (store, runner) = Runner("changed");
        runner.Run(ExperimentConfig.Parse(Config, "c.yaml").Expand(), new Recorder(_ => { }), CancellationToken.None);
        var changed = ExperimentConfig.Parse(Config.Replace("rounds: 5", "rounds: 6"), "c.yaml").Expand();

        var error = Assert.Throws<FedPSException>(() => Runner("changed", resume).Runner.Run(changed, new Recorder(_ => { }), CancellationToken.None));

        Assert.Contains("different config (rounds was 5, is now 6)", error.Message);
        Assert.Equal(5, store.GetRuns().Single().Rounds.Count);
    }

    [Fact]
    public void A_checkpoint_left_over_from_a_deleted_store_is_not_resumed_from()
    {
        var plan = ExperimentConfig.Parse(Config, "c.yaml").Expand();
        Runner("reused").Runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);
        foreach (var file in Directory.GetFiles(folder, "reused.sqlite*"))
        {
            File.Delete(file);
        }

        var (store, runner) = Runner("reused"); // same checkpoint folder, fresh store
        runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);

        Assert.Equal([1, 2, 3, 4, 5], store.GetRuns().Single().Rounds.Select(r => r.Round));
    }

    [Fact]
    public void A_checkpoint_or_log_folder_that_is_a_file_fails_the_command_before_any_run_is_registered()
    {
        var plan = ExperimentConfig.Parse(Config, "c.yaml").Expand();
        var file = Path.Combine(folder, "in-the-way");
        File.WriteAllText(file, "not a folder");
        var store = ResultsStore.Open(Path.Combine(folder, "prepared.sqlite"));

        foreach (var options in new[]
                 {
                     new ExperimentOptions { CheckpointDirectory = file },
                     new ExperimentOptions { CheckpointDirectory = Path.Combine(folder, "ok"), LogDirectory = file },
                 })
        {
            var error = Assert.Throws<FedPSException>(() => new ExperimentRunner(store, options).Run(plan, new Recorder(_ => { }), CancellationToken.None));
            Assert.Equal(file, error.Target);
            Assert.Contains("is a file", error.Message);
        }

        Assert.Empty(store.GetRuns());
    }

    private sealed class Recorder(Action<RoundProgress> onStep) : IExperimentObserver
    {
        private bool cancelled;

        public List<RoundProgress> StepsAfterCancel { get; } = [];

        public List<Exception> Failures { get; } = [];

        public Action<PlannedRun, RoundResult> OnRound { get; init; } = (_, _) => { };

        public void RunStarted(PlannedRun run, int fromRound)
        {
        }

        public void RoundCompleted(PlannedRun run, RoundResult round) => OnRound(run, round);

        public void LocalStep(PlannedRun run, RoundProgress progress)
        {
            if (cancelled)
            {
                StepsAfterCancel.Add(progress);
            }

            onStep(progress);
            cancelled |= progress is { Round: 3, Step: 2 };
        }

        public void RunFinished(PlannedRun run, FedRun result, bool skipped)
        {
        }

        public void RunFailed(PlannedRun run, Exception error) => Failures.Add(error);

        public void RunHeldElsewhere(PlannedRun run, RunOwner owner)
        {
        }
    }
}
