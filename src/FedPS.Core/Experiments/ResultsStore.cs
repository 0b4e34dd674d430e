using System.Globalization;
using System.Text.Json;
using FedPS.Core.Simulation;
using Microsoft.Data.Sqlite;

namespace FedPS.Core.Experiments;

/// <summary>
/// The results store: one SQLite file (WAL mode) holding runs, their per-round and per-client metrics
/// (schema in docs/results-store.md). Every write is one short IMMEDIATE transaction on its own pooled
/// connection, so threads and processes can write to one store at once; a round's rows land together or not at all.
/// </summary>
public sealed class ResultsStore
{
    public const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            experiment TEXT NOT NULL,
            dataset TEXT NOT NULL,
            strategy TEXT NOT NULL,
            seed INTEGER NOT NULL,
            parameters TEXT NOT NULL,
            config TEXT NOT NULL,
            status TEXT NOT NULL,
            rounds_planned INTEGER NOT NULL,
            created_utc TEXT NOT NULL,
            updated_utc TEXT NOT NULL,
            completed_utc TEXT,
            parameters_sha256 TEXT,
            error TEXT);
        CREATE TABLE IF NOT EXISTS rounds (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            round INTEGER NOT NULL,
            strategy TEXT NOT NULL,
            train_loss REAL,
            test_loss REAL,
            test_accuracy REAL,
            bytes_up INTEGER NOT NULL,
            bytes_down INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            metrics TEXT NOT NULL,
            PRIMARY KEY (run_id, round));
        CREATE TABLE IF NOT EXISTS client_rounds (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            round INTEGER NOT NULL,
            client_id INTEGER NOT NULL,
            samples INTEGER NOT NULL,
            train_loss REAL,
            steps INTEGER NOT NULL,
            bytes_up INTEGER NOT NULL,
            bytes_down INTEGER NOT NULL,
            metrics TEXT NOT NULL,
            PRIMARY KEY (run_id, round, client_id));
        """;

    private readonly string connectionString;

    private ResultsStore(string path, bool readOnly)
    {
        Path = path;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = 60,
            Pooling = true,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Opens (creating if needed) a store for writing. Fails clearly on a missing folder or a read-only file.</summary>
    public static ResultsStore Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound,
                $"Cannot create the results store '{path}': the folder '{folder}' does not exist.", path);
        }

        if (File.Exists(full) && IsReadOnly(full))
        {
            throw new FedPSException(FedErrorKind.ResourceUnavailable,
                $"The results store '{path}' is read-only; make it writable or give another -Database.", path);
        }

        var store = new ResultsStore(full, readOnly: false);
        store.Execute(connection =>
        {
            using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
            using var transaction = connection.BeginTransaction(deferred: false);
            using var create = connection.CreateCommand();
            create.Transaction = transaction;
            create.CommandText = Schema + $"PRAGMA user_version = {SchemaVersion};";
            create.ExecuteNonQuery();
            transaction.Commit();
        });
        return store;
    }

    /// <summary>Opens an existing store for reading.</summary>
    public static ResultsStore OpenExisting(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The results store '{path}' does not exist.", path);
        }

        return new ResultsStore(full, readOnly: IsReadOnly(full));
    }

    /// <summary>The stored run with this key, without its rounds; null if there is none.</summary>
    public StoredRun? Find(string key) => Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, status, (SELECT COALESCE(MAX(round), 0) FROM rounds WHERE run_id = runs.id) FROM runs WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredRun(reader.GetInt64(0), key, reader.GetString(1), reader.GetInt32(2)) : null;
    });

    /// <summary>Registers a run (or takes over its row on resume), marks it running, and drops any rounds after <paramref name="keepRounds"/>.</summary>
    public long BeginRun(PlannedRun run, int keepRounds)
    {
        var now = Now();
        return Execute(connection => InTransaction(connection, transaction =>
        {
            using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO runs (key, name, experiment, dataset, strategy, seed, parameters, config, status, rounds_planned, created_utc, updated_utc)
                VALUES ($key, $name, $experiment, $dataset, $strategy, $seed, $parameters, $config, 'running', $rounds, $now, $now)
                ON CONFLICT(key) DO UPDATE SET status = 'running', updated_utc = $now, completed_utc = NULL, error = NULL
                RETURNING id;
                """;
            upsert.Parameters.AddWithValue("$key", run.Key);
            upsert.Parameters.AddWithValue("$name", run.Name);
            upsert.Parameters.AddWithValue("$experiment", run.Experiment);
            upsert.Parameters.AddWithValue("$dataset", run.Dataset);
            upsert.Parameters.AddWithValue("$strategy", run.Strategy);
            upsert.Parameters.AddWithValue("$seed", run.Seed);
            upsert.Parameters.AddWithValue("$parameters", JsonSerializer.Serialize(run.Parameters));
            upsert.Parameters.AddWithValue("$config", run.ConfigJson);
            upsert.Parameters.AddWithValue("$rounds", run.Rounds);
            upsert.Parameters.AddWithValue("$now", now);
            var id = (long)upsert.ExecuteScalar()!;
            foreach (var table in new[] { "client_rounds", "rounds" })
            {
                using var trim = connection.CreateCommand();
                trim.Transaction = transaction;
                trim.CommandText = $"DELETE FROM {table} WHERE run_id = $id AND round > $keep";
                trim.Parameters.AddWithValue("$id", id);
                trim.Parameters.AddWithValue("$keep", keepRounds);
                trim.ExecuteNonQuery();
            }

            return id;
        }));
    }

    /// <summary>Writes a round and its clients' rows in one transaction.</summary>
    public void AddRound(long runId, RoundResult round) => Execute(connection => InTransaction(connection, transaction =>
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO rounds (run_id, round, strategy, train_loss, test_loss, test_accuracy, bytes_up, bytes_down, duration_ms, metrics)
            VALUES ($run, $round, $strategy, $train, $test, $accuracy, $up, $down, $ms, $metrics);
            UPDATE runs SET updated_utc = $now WHERE id = $run;
            """;
        insert.Parameters.AddWithValue("$run", runId);
        insert.Parameters.AddWithValue("$round", round.Round);
        insert.Parameters.AddWithValue("$strategy", round.Strategy);
        insert.Parameters.AddWithValue("$train", Real(round.TrainLoss));
        insert.Parameters.AddWithValue("$test", Real(round.TestLoss));
        insert.Parameters.AddWithValue("$accuracy", Real(round.TestAccuracy));
        insert.Parameters.AddWithValue("$up", round.BytesUp);
        insert.Parameters.AddWithValue("$down", round.BytesDown);
        insert.Parameters.AddWithValue("$ms", round.Duration.TotalMilliseconds);
        insert.Parameters.AddWithValue("$metrics", JsonSerializer.Serialize(round.Metrics, Checkpoint.Json));
        insert.Parameters.AddWithValue("$now", Now());
        insert.ExecuteNonQuery();

        using var client = connection.CreateCommand();
        client.Transaction = transaction;
        client.CommandText = """
            INSERT INTO client_rounds (run_id, round, client_id, samples, train_loss, steps, bytes_up, bytes_down, metrics)
            VALUES ($run, $round, $client, $samples, $train, $steps, $up, $down, $metrics);
            """;
        var parameters = new[] { "$run", "$round", "$client", "$samples", "$train", "$steps", "$up", "$down", "$metrics" }
            .Select(n => client.Parameters.Add(n, SqliteType.Text)).ToArray();
        foreach (var c in round.ClientResults)
        {
            object[] values = [runId, round.Round, c.ClientId, c.Samples, Real(c.TrainLoss), c.Steps, c.BytesUp, c.BytesDown,
                JsonSerializer.Serialize(c.Metrics, Checkpoint.Json)];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].SqliteType = values[i] switch { string => SqliteType.Text, double => SqliteType.Real, DBNull => SqliteType.Text, _ => SqliteType.Integer };
                parameters[i].Value = values[i];
            }

            client.ExecuteNonQuery();
        }

        return 0;
    }));

    /// <summary>Sets a run's final status: complete (with its parameter fingerprint), interrupted or failed.</summary>
    public void Finish(long runId, string status, string? parametersSha256 = null, string? error = null) => Execute(connection =>
    {
        using var update = connection.CreateCommand();
        update.CommandText = """
            UPDATE runs SET status = $status, updated_utc = $now, parameters_sha256 = COALESCE($sha, parameters_sha256), error = $error,
                completed_utc = CASE WHEN $status = 'complete' THEN $now ELSE NULL END
            WHERE id = $id;
            """;
        update.Parameters.AddWithValue("$status", status);
        update.Parameters.AddWithValue("$now", Now());
        update.Parameters.AddWithValue("$sha", (object?)parametersSha256 ?? DBNull.Value);
        update.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        update.Parameters.AddWithValue("$id", runId);
        return update.ExecuteNonQuery();
    });

    /// <summary>Runs with their rounds (and clients' rows), optionally only those of one experiment or the one with a key.</summary>
    public IReadOnlyList<FedRun> GetRuns(string? experiment = null, string? key = null) => Execute(connection =>
    {
        const string Selected = "run_id IN (SELECT id FROM runs WHERE ($experiment IS NULL OR experiment = $experiment) AND ($key IS NULL OR key = $key))";
        void Bind(SqliteCommand command)
        {
            command.Parameters.AddWithValue("$experiment", (object?)experiment ?? DBNull.Value);
            command.Parameters.AddWithValue("$key", (object?)key ?? DBNull.Value);
        }

        var clients = new Dictionary<(long, int), List<ClientRoundResult>>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT run_id, round, client_id, samples, train_loss, steps, bytes_up, bytes_down, metrics FROM client_rounds WHERE {Selected} ORDER BY run_id, round, client_id";
            Bind(command);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = (reader.GetInt64(0), reader.GetInt32(1));
                if (!clients.TryGetValue(key, out var list))
                {
                    clients[key] = list = [];
                }

                list.Add(new ClientRoundResult
                {
                    ClientId = reader.GetInt32(2),
                    Samples = reader.GetInt32(3),
                    TrainLoss = ReadReal(reader, 4),
                    Steps = reader.GetInt32(5),
                    BytesUp = reader.GetInt64(6),
                    BytesDown = reader.GetInt64(7),
                    Metrics = Metrics(reader.GetString(8)),
                });
            }
        }

        var rounds = new Dictionary<long, List<RoundResult>>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT run_id, round, strategy, train_loss, test_loss, test_accuracy, bytes_up, bytes_down, duration_ms, metrics FROM rounds WHERE {Selected} ORDER BY run_id, round";
            Bind(command);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var run = reader.GetInt64(0);
                var number = reader.GetInt32(1);
                var roundClients = clients.GetValueOrDefault((run, number)) ?? [];
                if (!rounds.TryGetValue(run, out var list))
                {
                    rounds[run] = list = [];
                }

                list.Add(new RoundResult
                {
                    Round = number,
                    Strategy = reader.GetString(2),
                    SampledClients = roundClients.Select(c => c.ClientId).ToArray(),
                    TrainLoss = ReadReal(reader, 3),
                    TestLoss = ReadReal(reader, 4),
                    TestAccuracy = ReadReal(reader, 5),
                    BytesUp = reader.GetInt64(6),
                    BytesDown = reader.GetInt64(7),
                    Duration = TimeSpan.FromMilliseconds(reader.GetDouble(8)),
                    Metrics = Metrics(reader.GetString(9)),
                    ClientResults = roundClients,
                });
            }
        }

        var runs = new List<FedRun>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT id, key, name, experiment, dataset, strategy, seed, parameters, config, status, rounds_planned,
                       created_utc, completed_utc, parameters_sha256, error
                FROM runs WHERE ($experiment IS NULL OR experiment = $experiment) AND ($key IS NULL OR key = $key) ORDER BY id
                """;
            Bind(command);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                runs.Add(new FedRun
                {
                    Id = id,
                    Key = reader.GetString(1),
                    Name = reader.GetString(2),
                    Experiment = reader.GetString(3),
                    Dataset = reader.GetString(4),
                    Strategy = reader.GetString(5),
                    Seed = reader.GetInt32(6),
                    Parameters = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(7))!,
                    Config = reader.GetString(8),
                    Status = reader.GetString(9),
                    RoundsPlanned = reader.GetInt32(10),
                    CreatedUtc = ParseTime(reader.GetString(11)),
                    CompletedUtc = reader.IsDBNull(12) ? null : ParseTime(reader.GetString(12)),
                    ParametersSha256 = reader.IsDBNull(13) ? null : reader.GetString(13),
                    Error = reader.IsDBNull(14) ? null : reader.GetString(14),
                    Rounds = rounds.GetValueOrDefault(id) ?? [],
                });
            }
        }

        return (IReadOnlyList<FedRun>)runs;
    });

    private T Execute<T>(Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            return work(connection);
        }
        catch (SqliteException ex)
        {
            throw new FedPSException(FedErrorKind.ResourceUnavailable, $"The results store '{Path}' could not be used: {ex.Message}", Path, ex);
        }
    }

    private void Execute(Action<SqliteConnection> work) => Execute(connection =>
    {
        work(connection);
        return 0;
    });

    private static T InTransaction<T>(SqliteConnection connection, Func<SqliteTransaction, T> work)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var result = work(transaction);
        transaction.Commit();
        return result;
    }

    private static bool IsReadOnly(string path) =>
        OperatingSystem.IsWindows()
            ? File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly)
            : (File.GetUnixFileMode(path) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;

    private static object Real(double value) => double.IsFinite(value) ? value : DBNull.Value;

    private static double ReadReal(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? double.NaN : reader.GetDouble(column);

    private static Dictionary<string, double> Metrics(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(json, Checkpoint.Json) ?? [];

    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

/// <summary>A run's row as the runner needs it to resume: its id, status and last stored round.</summary>
public sealed record StoredRun(long Id, string Key, string Status, int LastRound);
