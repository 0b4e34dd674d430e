using System.Diagnostics;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;
using Microsoft.Data.Sqlite;

namespace FedPS.Core.Tests.Experiments;

public sealed class ResultsStoreTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static PlannedRun Run(int seed) =>
        ExperimentConfig.Parse($"name: s\nseed: {seed}\n", "c.yaml").Expand().Runs.Single();

    private static long Claim(ResultsStore store, PlannedRun run) => Assert.IsType<RunClaim.Claimed>(store.Claim(run)).Id;

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
            var id = Claim(store, Run(seed + 1));
            for (var r = 1; r <= rounds; r++)
            {
                store.AddRound(id, Round(r, clients));
            }

            store.Finish(id, RunStatus.Complete, "abc");
        });

        var stored = ResultsStore.OpenExisting(path).GetRuns();
        Assert.Equal(runs, stored.Count);
        Assert.All(stored, r => Assert.Equal(rounds, r.Rounds.Count));
        Assert.All(stored.SelectMany(r => r.Rounds), r => Assert.Equal(clients, r.ClientResults.Count));
        Assert.All(stored, r => Assert.Equal(RunStatus.Complete, r.Status));
    }

    [Fact]
    public void Metrics_round_trip_exactly_and_NaN_stays_NaN()
    {
        var store = ResultsStore.Open(Path.Combine(folder, "r.sqlite"));
        var id = Claim(store, Run(1));
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
        var id = Claim(store, Run(1));
        for (var r = 1; r <= 4; r++)
        {
            store.AddRound(id, Round(r, 2));
        }

        store.TrimRounds(id, keepRounds: 2);
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

    [Fact]
    public void A_store_deleted_while_in_use_is_reported_and_never_written_into_or_recreated()
    {
        var path = Path.Combine(folder, "r.sqlite");
        var store = ResultsStore.Open(path);
        var id = Claim(store, Run(1));
        store.AddRound(id, Round(1, 2));
        foreach (var file in Directory.GetFiles(folder, "r.sqlite*"))
        {
            File.Delete(file);
        }

        var error = Assert.Throws<FedPSException>(() => store.AddRound(id, Round(2, 2)));

        Assert.Equal(FedErrorKind.ObjectNotFound, error.Kind);
        Assert.Contains("no longer exists", error.Message);
        Assert.False(File.Exists(path));
        Assert.Null(ResultsStore.Open(path).Find(Run(1).Key)); // a fresh store, not the deleted one's runs
    }

    [Fact]
    public void Peeking_at_a_store_another_process_is_still_creating_finds_no_runs_instead_of_refusing_it()
    {
        var path = Path.Combine(folder, "being-created.sqlite");
        Assert.Empty(ResultsStore.PeekRuns(path));
        File.WriteAllBytes(path, []); // what a concurrent creator leaves until its schema transaction commits

        Assert.Empty(ResultsStore.PeekRuns(path));
        Assert.Throws<FedPSException>(() => ResultsStore.OpenExisting(path));
        Assert.Empty(File.ReadAllBytes(path));

        var store = ResultsStore.Open(path);
        Claim(store, Run(1));
        Assert.Equal(Run(1).Key, Assert.Single(ResultsStore.PeekRuns(path)).Key);
    }

    [Fact]
    public void Peeking_refuses_another_application_s_database()
    {
        var path = Path.Combine(folder, "app.sqlite");
        Sql(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);");

        Assert.Equal(FedErrorKind.InvalidData, Assert.Throws<FedPSException>(() => ResultsStore.PeekRuns(path)).Kind);
    }

    [Fact]
    public void Another_application_s_sqlite_database_is_refused_and_left_unchanged()
    {
        var path = Path.Combine(folder, "app.sqlite");
        Sql(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');");
        var before = File.ReadAllBytes(path);

        var writing = Assert.Throws<FedPSException>(() => ResultsStore.Open(path));
        var reading = Assert.Throws<FedPSException>(() => ResultsStore.OpenExisting(path));

        Assert.All(new[] { writing, reading }, e => Assert.Equal(FedErrorKind.InvalidData, e.Kind));
        Assert.Contains("another application", writing.Message);
        Assert.Contains("customers", writing.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_refused_and_left_unchanged()
    {
        var path = Path.Combine(folder, "notes.sqlite");
        File.WriteAllText(path, "These are my notes, not a database. They are long enough to fill a page header of SQLite.");
        var before = File.ReadAllBytes(path);

        var error = Assert.Throws<FedPSException>(() => ResultsStore.Open(path));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Contains("not a SQLite database", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_store_with_a_newer_schema_is_refused_for_reading_and_writing()
    {
        var path = Path.Combine(folder, "r.sqlite");
        ResultsStore.Open(path);
        Sql(path, "PRAGMA user_version = 99;");

        Assert.Contains("schema version 99", Assert.Throws<FedPSException>(() => ResultsStore.Open(path)).Message);
        Assert.Contains("schema version 99", Assert.Throws<FedPSException>(() => ResultsStore.OpenExisting(path)).Message);
    }

    [Fact]
    public void A_version_1_store_is_upgraded_in_place_and_keeps_its_runs()
    {
        var path = Path.Combine(folder, "v1.sqlite");
        Sql(path, """
            CREATE TABLE runs (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, experiment TEXT NOT NULL,
                dataset TEXT NOT NULL, strategy TEXT NOT NULL, seed INTEGER NOT NULL, parameters TEXT NOT NULL, config TEXT NOT NULL,
                status TEXT NOT NULL, rounds_planned INTEGER NOT NULL, created_utc TEXT NOT NULL, updated_utc TEXT NOT NULL,
                completed_utc TEXT, parameters_sha256 TEXT, error TEXT);
            CREATE TABLE rounds (run_id INTEGER NOT NULL, round INTEGER NOT NULL, strategy TEXT NOT NULL, train_loss REAL, test_loss REAL,
                test_accuracy REAL, bytes_up INTEGER NOT NULL, bytes_down INTEGER NOT NULL, duration_ms REAL NOT NULL, metrics TEXT NOT NULL,
                PRIMARY KEY (run_id, round));
            CREATE TABLE client_rounds (run_id INTEGER NOT NULL, round INTEGER NOT NULL, client_id INTEGER NOT NULL, samples INTEGER NOT NULL,
                train_loss REAL, steps INTEGER NOT NULL, bytes_up INTEGER NOT NULL, bytes_down INTEGER NOT NULL, metrics TEXT NOT NULL,
                PRIMARY KEY (run_id, round, client_id));
            INSERT INTO runs VALUES (1, 'k1', 'old/seed=1', 'old', 'digits', 'FedAvg', 1, '{}', '{}', 'running', 3, '2026-01-01T00:00:00Z',
                '2026-01-01T00:00:00Z', NULL, NULL, NULL);
            PRAGMA user_version = 1;
            """);

        var store = ResultsStore.Open(path);

        Assert.Equal(RunStatus.Running, store.Find("k1")!.Status);
        Assert.Null(store.Find("k1")!.Owner); // a run of an old FedPS has no owner: -Resume may take it over
        Assert.Equal((long)ResultsStore.ApplicationId, Sql(path, "PRAGMA application_id;"));
        Assert.Equal((long)ResultsStore.SchemaVersion, Sql(path, "PRAGMA user_version;"));
    }

    [Fact]
    public void A_version_2_store_is_upgraded_and_gives_its_runs_plan_indexes_in_the_order_they_were_stored()
    {
        var path = Path.Combine(folder, "v2.sqlite");
        ResultsStore.Open(path);
        Sql(path, """
            ALTER TABLE runs DROP COLUMN plan_index;
            INSERT INTO runs (id, key, name, experiment, dataset, strategy, seed, parameters, config, status, rounds_planned, created_utc, updated_utc)
            VALUES (1, 'a1', 'a/seed=1', 'a', 'digits', 'FedAvg', 1, '{}', '{}', 'complete', 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                   (2, 'b1', 'b/seed=1', 'b', 'digits', 'FedAvg', 1, '{}', '{}', 'complete', 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                   (3, 'a2', 'a/seed=2', 'a', 'digits', 'FedAvg', 2, '{}', '{}', 'planned', 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
            PRAGMA user_version = 2;
            """);

        var runs = ResultsStore.Open(path).GetRuns();

        Assert.Equal((long)ResultsStore.SchemaVersion, Sql(path, "PRAGMA user_version;"));
        Assert.Equal(["a/seed=1", "a/seed=2", "b/seed=1"], runs.Select(r => r.Name));
        Assert.Equal([1, 2, 1], runs.Select(r => r.Index));
    }

    [Fact]
    public void Runs_come_back_in_plan_order_with_their_plan_index_however_they_were_registered()
    {
        var store = ResultsStore.Open(Path.Combine(folder, "r.sqlite"));
        var plan = ExperimentConfig.Parse("name: s\nseeds: [1, 2, 3, 4]\n", "c.yaml").Expand().Runs;

        store.Register([plan[2], plan[3]], _ => { }); // one worker's share of the sweep ...
        store.Register([plan[0], plan[1]], _ => { }); // ... then another's

        Assert.Equal(plan.Select(r => (r.Index, r.Name)), store.GetRuns().Select(r => (r.Index, r.Name)));
        Assert.Equal(plan.Select(r => r.Index), store.ListRuns().Select(r => r.Index));
    }

    [Fact]
    public void A_run_held_by_a_live_process_is_left_to_it_and_taken_over_once_that_process_is_gone()
    {
        var path = Path.Combine(folder, "r.sqlite");
        var store = ResultsStore.Open(path);
        var run = Run(1);
        var id = Claim(store, run);
        using var other = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        var owner = RunOwner.Of(other.Id)!;
        Sql(path, $"UPDATE runs SET owner = '{owner}' WHERE id = {id};");

        var held = Assert.IsType<RunClaim.HeldElsewhere>(store.Claim(run));
        other.Kill();
        other.WaitForExit();
        var taken = Assert.IsType<RunClaim.Claimed>(store.Claim(run));

        Assert.Equal(owner, held.Owner);
        Assert.Equal((id, RunStatus.Running), (taken.Id, taken.Previous));
        Assert.Equal(RunOwner.Current, store.Find(run.Key)!.Owner);
    }

    [Fact]
    public void A_run_moves_only_along_its_states()
    {
        var store = ResultsStore.Open(Path.Combine(folder, "r.sqlite"));
        var run = Run(1);
        store.Register([run], _ => { });
        Assert.Equal(RunStatus.Planned, store.Find(run.Key)!.Status);

        var id = Claim(store, run);
        Assert.True(store.Finish(id, RunStatus.Failed, error: "boom"));
        Assert.False(store.Finish(id, RunStatus.Complete)); // only a running run ends
        Assert.Equal(RunStatus.Failed, store.Find(run.Key)!.Status);

        Assert.Equal(RunStatus.Failed, Assert.IsType<RunClaim.Claimed>(store.Claim(run)).Previous); // -Resume runs it again
        Assert.True(store.Finish(id, RunStatus.Complete, "abc"));
        Assert.IsType<RunClaim.AlreadyComplete>(store.Claim(run));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Finish(id, RunStatus.Planned));
    }

    [Fact]
    public void Two_simultaneous_registrations_of_one_sweep_cannot_both_pass_the_check()
    {
        var path = Path.Combine(folder, "r.sqlite");
        ResultsStore.Open(path);
        var runs = new[] { Run(1), Run(2) };
        using var start = new Barrier(2);

        var outcomes = Enumerable.Range(0, 2).AsParallel().WithDegreeOfParallelism(2).Select(_ =>
        {
            var store = ResultsStore.Open(path);
            start.SignalAndWait();
            try
            {
                store.Register(runs, stored =>
                {
                    if (stored.Count > 0)
                    {
                        throw new FedPSException(FedErrorKind.InvalidOperation, "already holds runs");
                    }
                });
                return "registered";
            }
            catch (FedPSException ex)
            {
                return ex.Message;
            }
        }).ToArray();

        Assert.Equal(["already holds runs", "registered"], outcomes.Order());
        Assert.Equal(2, ResultsStore.OpenExisting(path).GetRuns().Count);
    }

    private static object? Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
