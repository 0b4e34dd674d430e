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
        Assert.Equal("interrupted", interrupted.Status);
        Assert.Equal([1, 2], interrupted.Rounds.Select(r => r.Round));
        Assert.Equal(2, Checkpoint.Read(Path.Combine(folder, "stopped.checkpoints", plan.Runs[0].Key + ".safetensors")).State.Round);

        Runner("stopped", resume: true).Runner.Run(plan, new Recorder(_ => { }), CancellationToken.None);
        var (_, straight) = Runner("straight");
        straight.Run(plan, new Recorder(_ => { }), CancellationToken.None);

        var resumed = store.GetRuns().Single();
        var reference = ResultsStore.OpenExisting(Path.Combine(folder, "straight.sqlite")).GetRuns().Single();
        Assert.Equal("complete", resumed.Status);
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
        Assert.Equal("complete", run.Status);
        Assert.Contains("\"validationFraction\":0.2", run.Config, StringComparison.Ordinal);
        Assert.All(run.Rounds, r => Assert.True(double.IsFinite(r.TestAccuracy)));
    }

    private sealed class Recorder(Action<RoundProgress> onStep) : IExperimentObserver
    {
        private bool cancelled;

        public List<RoundProgress> StepsAfterCancel { get; } = [];

        public void RunStarted(PlannedRun run, int fromRound)
        {
        }

        public void RoundCompleted(PlannedRun run, RoundResult round)
        {
        }

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

        public void RunFailed(PlannedRun run, FedPSException error)
        {
        }
    }
}
