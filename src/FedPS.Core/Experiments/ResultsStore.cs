using System.Globalization;
using System.Text.Json;
using FedPS.Core.Simulation;
using Microsoft.Data.Sqlite;

namespace FedPS.Core.Experiments;

/// <summary>
/// The results store: one SQLite file (WAL mode) holding runs, their per-round and per-client metrics
/// (schema in docs/results-store.md). Every operation opens its own connection (no pool: a pooled connection
/// would keep writing into a store deleted under it) and every write is one short IMMEDIATE transaction, so
/// threads and processes can write to one store at once; a round's rows land together or not at all. The file is
/// marked as FedPS's (<c>PRAGMA application_id</c>) and versioned (<c>PRAGMA user_version</c>): another
/// application's database or a newer schema is refused, never written to.
/// </summary>
public sealed class ResultsStore
{
    public const int SchemaVersion = 3;

    /// <summary>"FedP": the SQLite header's application id of a FedPS store.</summary>
    public const int ApplicationId = 0x46656450;

    private const int SqliteCantOpen = 14;
    private const int SqliteNotADatabase = 26;

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
            error TEXT,
            owner TEXT,
            plan_index INTEGER NOT NULL DEFAULT 0);
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

    // Version 1 had no owner column; versions 1 and 2 no plan index.
    private const string MigrateFrom1 = "ALTER TABLE runs ADD COLUMN owner TEXT;";

    // Stores before version 3 registered a sweep's runs in plan order (version 1: as they finished), so the best
    // plan index an old run can get is its place among its experiment's runs in the order they were stored.
    private const string MigrateFrom2 = """
        ALTER TABLE runs ADD COLUMN plan_index INTEGER NOT NULL DEFAULT 0;
        UPDATE runs SET plan_index = (SELECT COUNT(*) FROM runs AS earlier WHERE earlier.experiment = runs.experiment AND earlier.id <= runs.id);
        """;

    private const string StoredColumns =
        "id, key, name, status, (SELECT COALESCE(MAX(round), 0) FROM rounds WHERE run_id = runs.id), config, owner, experiment, plan_index";

    // A store's runs in the order their sweeps planned them: experiments in the order they were first stored, then
    // each experiment's runs by their index in its plan.
    private const string PlanOrder = "(SELECT MIN(first.id) FROM runs AS first WHERE first.experiment = runs.experiment), plan_index, id";

    private readonly string connectionString;
    private readonly SqliteOpenMode mode;

    private ResultsStore(string path, SqliteOpenMode mode)
    {
        Path = path;
        this.mode = mode;
        connectionString = ConnectionString(path, mode);
    }

    public string Path { get; }

    /// <summary>
    /// Opens (creating if needed, upgrading an older schema) a store for writing. Fails clearly, leaving the file
    /// unchanged, on a missing folder, a read-only file, a file that is not SQLite or another application's database,
    /// and a store written by a newer FedPS.
    /// </summary>
    public static ResultsStore Open(string path)
    {
        var full = FullPath(path);
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

        var creator = new ResultsStore(full, SqliteOpenMode.ReadWriteCreate);
        creator.Execute(connection =>
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var version = creator.CheckIdentity(connection, transaction, allowEmpty: true);
            if (version < SchemaVersion)
            {
                Run(connection, transaction, (version switch { 0 => Schema, 1 => MigrateFrom1 + MigrateFrom2, _ => MigrateFrom2 }) +
                    $"PRAGMA user_version = {SchemaVersion}; PRAGMA application_id = {ApplicationId};");
            }

            transaction.Commit();
            Run(connection, null, "PRAGMA journal_mode=WAL;");
        });
        return new ResultsStore(full, SqliteOpenMode.ReadWrite);
    }

    /// <summary>
    /// The runs a store holds, for looking before writing: none when the file does not exist or is still an empty
    /// SQLite file (another process may be creating the store at this moment); other files are checked as by
    /// <see cref="OpenExisting"/>, and the file is never changed.
    /// </summary>
    public static IReadOnlyList<StoredRun> PeekRuns(string path)
    {
        var full = FullPath(path);
        if (!File.Exists(full))
        {
            return [];
        }

        var store = new ResultsStore(full, IsReadOnly(full) ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite);
        var version = store.Execute(connection => store.CheckIdentity(connection, null, allowEmpty: true));
        return version == 0 ? [] : store.ListRuns();
    }

    /// <summary>Opens an existing store for reading; the same file checks as <see cref="Open"/>, and the file is never changed.</summary>
    public static ResultsStore OpenExisting(string path)
    {
        var full = FullPath(path);
        if (!File.Exists(full))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The results store '{path}' does not exist.", path);
        }

        var store = new ResultsStore(full, IsReadOnly(full) ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite);
        store.Execute(connection => store.CheckIdentity(connection, null, allowEmpty: false));
        return store;
    }

    /// <summary>The stored run with this key, without its rounds; null if there is none.</summary>
    public StoredRun? Find(string key) => Execute(connection =>
        Stored(connection, null, "key = $key", ("$key", key)).SingleOrDefault());

    /// <summary>The stored runs of an experiment, without their rounds.</summary>
    public IReadOnlyList<StoredRun> RunsOf(string experiment) => Execute(connection =>
        Stored(connection, null, "experiment = $experiment", ("$experiment", experiment)));

    /// <summary>Every stored run, without its rounds, in plan order: a quick listing (tab completion, -WhatIf).</summary>
    public IReadOnlyList<StoredRun> ListRuns() => Execute(connection => Stored(connection, null, "1 = 1"));

    /// <summary>
    /// Registers the runs of a sweep as planned, in one transaction with <paramref name="check"/> (which sees the
    /// experiment's stored runs and throws to refuse): two processes starting one sweep at once cannot both pass
    /// the check, and a refused start leaves the store unchanged. Runs already stored keep their rows.
    /// </summary>
    public void Register(IReadOnlyList<PlannedRun> runs, Action<IReadOnlyList<StoredRun>> check) => Execute(connection =>
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var stored = runs.Select(r => r.Experiment).Distinct()
            .SelectMany(e => Stored(connection, transaction, "experiment = $experiment", ("$experiment", e)))
            .ToArray();
        check(stored);
        foreach (var run in runs)
        {
            Insert(connection, transaction, run);
        }

        transaction.Commit();
    });

    /// <summary>
    /// Takes a run for this process (registering it if needed): a planned, failed or interrupted run, or a running
    /// one whose owner is gone, becomes running with this process as its owner. A complete run, or one running in a
    /// live process, is not taken.
    /// </summary>
    public RunClaim Claim(PlannedRun run) => Execute(connection =>
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        Insert(connection, transaction, run);
        var stored = Stored(connection, transaction, "key = $key", ("$key", run.Key)).Single();
        RunClaim claim = stored switch
        {
            { Status: RunStatus.Complete } => new RunClaim.AlreadyComplete(stored.Id),
            { Status: RunStatus.Running, Owner: { } owner } when owner != RunOwner.Current && owner.IsAlive() => new RunClaim.HeldElsewhere(owner),
            _ when RunStates.Claimable.Contains(stored.Status) => new RunClaim.Claimed(stored.Id, stored.Status, stored.LastRound),
            _ => throw new FedPSException(FedErrorKind.InvalidData, $"Run '{run.Name}' has the status '{stored.Status}', which FedPS cannot resume.", run.Name),
        };
        if (claim is RunClaim.Claimed)
        {
            using var update = Command(connection, transaction, """
                UPDATE runs SET status = $status, owner = $owner, updated_utc = $now, completed_utc = NULL, error = NULL WHERE id = $id
                """);
            update.Parameters.AddWithValue("$status", RunStatus.Running.ToText());
            update.Parameters.AddWithValue("$owner", RunOwner.Current.ToString());
            update.Parameters.AddWithValue("$now", Now());
            update.Parameters.AddWithValue("$id", stored.Id);
            update.ExecuteNonQuery();
        }

        transaction.Commit();
        return claim;
    });

    /// <summary>Drops a resumed run's rounds after <paramref name="keepRounds"/> (those stored after its last checkpoint).</summary>
    public void TrimRounds(long runId, int keepRounds) => Execute(connection =>
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var table in new[] { "client_rounds", "rounds" })
        {
            using var trim = Command(connection, transaction, $"DELETE FROM {table} WHERE run_id = $id AND round > $keep");
            trim.Parameters.AddWithValue("$id", runId);
            trim.Parameters.AddWithValue("$keep", keepRounds);
            trim.ExecuteNonQuery();
        }

        transaction.Commit();
    });

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

    /// <summary>
    /// Ends a run this process holds: complete (with its parameter fingerprint), failed (with the error) or
    /// interrupted. Only a running run moves; false when it was not running (already ended).
    /// </summary>
    public bool Finish(long runId, RunStatus status, string? parametersSha256 = null, string? error = null)
    {
        if (!RunStates.Final.Contains(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A run ends complete, failed or interrupted.");
        }

        return Execute(connection =>
        {
            using var update = Command(connection, null, """
                UPDATE runs SET status = $status, updated_utc = $now, parameters_sha256 = COALESCE($sha, parameters_sha256), error = $error,
                    completed_utc = CASE WHEN $status = 'complete' THEN $now ELSE NULL END
                WHERE id = $id AND status = 'running';
                """);
            update.Parameters.AddWithValue("$status", status.ToText());
            update.Parameters.AddWithValue("$now", Now());
            update.Parameters.AddWithValue("$sha", (object?)parametersSha256 ?? DBNull.Value);
            update.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            update.Parameters.AddWithValue("$id", runId);
            return update.ExecuteNonQuery() == 1;
        });
    }

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
            command.CommandText = $"""
                SELECT id, key, name, experiment, dataset, strategy, seed, parameters, config, status, rounds_planned,
                       created_utc, completed_utc, parameters_sha256, error, plan_index
                FROM runs WHERE ($experiment IS NULL OR experiment = $experiment) AND ($key IS NULL OR key = $key) ORDER BY {PlanOrder}
                """;
            Bind(command);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                runs.Add(new FedRun
                {
                    Id = id,
                    Index = reader.GetInt32(15),
                    Key = reader.GetString(1),
                    Name = reader.GetString(2),
                    Experiment = reader.GetString(3),
                    Dataset = reader.GetString(4),
                    Strategy = reader.GetString(5),
                    Seed = reader.GetInt32(6),
                    Parameters = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(7))!,
                    Config = reader.GetString(8),
                    Status = RunStates.Parse(reader.GetString(9)),
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
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteCantOpen && mode == SqliteOpenMode.ReadWriteCreate)
        {
            throw new FedPSException(FedErrorKind.PermissionDenied,
                $"Cannot create the results store '{Path}': SQLite cannot open it for writing (does its folder take files?).", Path, ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteCantOpen && !File.Exists(Path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound,
                $"The results store '{Path}' no longer exists (was it deleted while in use?); nothing was written.", Path, ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteNotADatabase)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"'{Path}' is not a SQLite database, so not a FedPS results store; give another -Database.", Path, ex);
        }
        catch (SqliteException ex)
        {
            throw new FedPSException(FedErrorKind.ResourceUnavailable, $"The results store '{Path}' could not be used: {ex.Message}", Path, ex);
        }
    }

    /// <summary>
    /// The schema version of a FedPS store (0 for an empty file), after checking the file is one: another
    /// application's database (any table, no FedPS mark) and a newer FedPS's schema are refused.
    /// </summary>
    private int CheckIdentity(SqliteConnection connection, SqliteTransaction? transaction, bool allowEmpty)
    {
        var application = Convert.ToInt64(Scalar(connection, transaction, "PRAGMA application_id"), CultureInfo.InvariantCulture);
        var version = (int)Convert.ToInt64(Scalar(connection, transaction, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        var tables = new List<string>();
        using (var list = Command(connection, transaction, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        // Stores written before the application id was set: schema 1 with FedPS's tables.
        var ours = application == ApplicationId || (application == 0 && version == 1 && tables.Contains("runs") && tables.Contains("rounds"));
        if (ours && version > SchemaVersion)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"The results store '{Path}' has schema version {version}, written by a newer FedPS; this FedPS reads versions up to {SchemaVersion}. Update FedPS.", Path);
        }

        if (ours)
        {
            return version;
        }

        if (application == 0 && version == 0 && tables.Count == 0)
        {
            return allowEmpty
                ? 0
                : throw new FedPSException(FedErrorKind.InvalidData, $"'{Path}' is an empty SQLite file, not a FedPS results store.", Path);
        }

        throw new FedPSException(FedErrorKind.InvalidData,
            $"'{Path}' is a SQLite database of another application (application id {application}, tables: " +
            $"{(tables.Count == 0 ? "none" : string.Join(", ", tables))}), not a FedPS results store; FedPS leaves it unchanged. Give another -Database.",
            Path);
    }

    private static IReadOnlyList<StoredRun> Stored(SqliteConnection connection, SqliteTransaction? transaction, string where,
        params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, $"SELECT {StoredColumns} FROM runs WHERE {where} ORDER BY {PlanOrder}");
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        var runs = new List<StoredRun>();
        while (reader.Read())
        {
            runs.Add(new StoredRun(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), RunStates.Parse(reader.GetString(3)),
                reader.GetInt32(4), reader.GetString(5), RunOwner.Parse(reader.IsDBNull(6) ? null : reader.GetString(6)))
            {
                Experiment = reader.GetString(7),
                Index = reader.GetInt32(8),
            });
        }

        return runs;
    }

    /// <summary>Adds a run as planned unless its key is stored already.</summary>
    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, PlannedRun run)
    {
        var now = Now();
        using var insert = Command(connection, transaction, """
            INSERT INTO runs (key, name, experiment, dataset, strategy, seed, parameters, config, status, rounds_planned, created_utc, updated_utc, plan_index)
            VALUES ($key, $name, $experiment, $dataset, $strategy, $seed, $parameters, $config, $status, $rounds, $now, $now, $index)
            ON CONFLICT(key) DO NOTHING;
            """);
        insert.Parameters.AddWithValue("$key", run.Key);
        insert.Parameters.AddWithValue("$name", run.Name);
        insert.Parameters.AddWithValue("$experiment", run.Experiment);
        insert.Parameters.AddWithValue("$dataset", run.Dataset);
        insert.Parameters.AddWithValue("$strategy", run.Strategy);
        insert.Parameters.AddWithValue("$seed", run.Seed);
        insert.Parameters.AddWithValue("$parameters", JsonSerializer.Serialize(run.Parameters));
        insert.Parameters.AddWithValue("$config", run.ConfigJson);
        insert.Parameters.AddWithValue("$status", RunStatus.Planned.ToText());
        insert.Parameters.AddWithValue("$rounds", run.Rounds);
        insert.Parameters.AddWithValue("$now", now);
        insert.Parameters.AddWithValue("$index", run.Index);
        insert.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        return command.ExecuteScalar();
    }

    private static void Run(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        DefaultTimeout = 60,
        Pooling = false,
    }.ToString();

    private static string FullPath(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return Directory.Exists(full)
            ? throw new FedPSException(FedErrorKind.InvalidArgument, $"The results store '{path}' is a folder; give the path of a .sqlite file.", path)
            : full;
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

/// <summary>A run's row as the runner needs it: id, key, name, status, last stored round, resolved config and owner.</summary>
public sealed record StoredRun(long Id, string Key, string Name, RunStatus Status, int LastRound, string Config, RunOwner? Owner)
{
    public string Experiment { get; init; } = string.Empty;

    /// <summary>The run's 1-based index in the plan of its sweep.</summary>
    public int Index { get; init; }
}

/// <summary>What <see cref="ResultsStore.Claim"/> got: the run, or why not.</summary>
public abstract record RunClaim
{
    /// <summary>The run is this process's now; it was <paramref name="Previous"/> with <paramref name="LastRound"/> rounds stored.</summary>
    public sealed record Claimed(long Id, RunStatus Previous, int LastRound) : RunClaim;

    public sealed record AlreadyComplete(long Id) : RunClaim;

    /// <summary>Another live process is running it.</summary>
    public sealed record HeldElsewhere(RunOwner Owner) : RunClaim;
}
