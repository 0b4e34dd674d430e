using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Core.Tests.Experiments;

public sealed class ResultsStoreTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static PlannedRun Run(int seed) =>
        ExperimentConfig.Parse($"name: s\nseed: {seed}\n", "c.yaml").Expand().Runs.Single();

    private static RoundResult Round(int number, int clients) => new()
    {
        Round = number, Strategy = "FedAvg", SampledClients = Enumerable.Range(0, clients).ToArray(), TrainLoss = 1.0 / number,
        TestLoss = double.NaN, TestAccuracy = 0.5, BytesUp = 10, BytesDown = 10, Duration = TimeSpan.FromMilliseconds(3),
        ClientResults = Enumerable.Range(0, clients).Select(c => new ClientRoundResult
        {
            ClientId = c, Samples = 10, TrainLoss = c + 0.25, Steps = 2, BytesUp = 5, BytesDown = 5,
        }).ToArray(),
    };

    [Fact]
    public void Concurrent_writers_on_threads_lose_no_row()
    {
        var path = Path.Combine(folder, "r.sqlite");
        const int runs = 8, rounds = 15, clients = 3;

        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = 8 }, seed =>
        {
            var store = ResultsStore.Open(path); // each writer opens the store itself, as separate processes would
            var id = store.BeginRun(Run(seed + 1), 0);
            for (var r = 1; r <= rounds; r++)
            {
                store.AddRound(id, Round(r, clients));
            }

            store.Finish(id, "complete", "abc");
        });

        var stored = ResultsStore.OpenExisting(path).GetRuns();
        Assert.Equal(runs, stored.Count);
        Assert.All(stored, r => Assert.Equal(rounds, r.Rounds.Count));
        Assert.All(stored.SelectMany(r => r.Rounds), r => Assert.Equal(clients, r.ClientResults.Count));
        Assert.All(stored, r => Assert.Equal("complete", r.Status));
    }

    [Fact]
    public void Metrics_round_trip_exactly_and_NaN_stays_NaN()
    {
        var store = ResultsStore.Open(Path.Combine(folder, "r.sqlite"));
        var id = store.BeginRun(Run(1), 0);
        store.AddRound(id, Round(3, 2) with { TrainLoss = 0.1 + 0.2 });

        var round = store.GetRuns().Single().Rounds.Single();

        Assert.Equal(0.1 + 0.2, round.TrainLoss);
        Assert.True(double.IsNaN(round.TestLoss));
        Assert.Equal([0, 1], round.SampledClients);
    }

    [Fact]
    public void Resuming_a_run_drops_the_rounds_after_its_checkpoint()
    {
        var store = ResultsStore.Open(Path.Combine(folder, "r.sqlite"));
        var id = store.BeginRun(Run(1), 0);
        for (var r = 1; r <= 4; r++)
        {
            store.AddRound(id, Round(r, 2));
        }

        Assert.Equal(id, store.BeginRun(Run(1), keepRounds: 2));
        Assert.Equal([1, 2], store.GetRuns().Single().Rounds.Select(r => r.Round));
    }

    [Fact]
    public void A_store_in_a_missing_folder_is_refused()
    {
        var error = Assert.Throws<FedPSException>(() => ResultsStore.Open(Path.Combine(folder, "nope", "r.sqlite")));
        Assert.Equal(FedErrorKind.ObjectNotFound, error.Kind);
    }

    [Fact]
    public void A_read_only_store_is_refused_and_left_unchanged()
    {
        var path = Path.Combine(folder, "r.sqlite");
        ResultsStore.Open(path);
        var before = File.ReadAllBytes(path);
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        }

        var error = Assert.Throws<FedPSException>(() => ResultsStore.Open(path));

        Assert.Contains("read-only", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }
}
