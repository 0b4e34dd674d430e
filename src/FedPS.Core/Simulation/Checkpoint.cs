using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FedPS.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>What a checkpoint holds besides tensors: enough to check it belongs to a server and to continue its run.</summary>
public sealed record CheckpointState
{
    public const string CurrentFormat = "fedps-checkpoint/2";

    public string Format { get; init; } = CurrentFormat;

    public required int Round { get; init; }

    public required string Strategy { get; init; }

    public required int Seed { get; init; }

    public required int ClientCount { get; init; }

    /// <summary>The model that wrote it (its <see cref="Models.ModelSpec"/> as JSON).</summary>
    public required string Model { get; init; }

    /// <summary>A fingerprint of how the data was divided among the clients (see <see cref="Checkpoint.PartitionOf"/>).</summary>
    public required string Partition { get; init; }

    /// <summary>The run's resolved config (canonical JSON) when an experiment wrote it; resuming checks it matches.</summary>
    public string? Config { get; init; }

    public required IReadOnlyList<RoundResult> History { get; init; }
}

/// <summary>A checkpoint file as written or found: where, which round, its size and checksum.</summary>
public sealed record CheckpointInfo(string Path, int Round, string Strategy, int Seed, long Bytes, string Sha256, DateTime WrittenUtc);

/// <summary>
/// Checkpoints of a <see cref="FedServer"/> in the safetensors layout (<see cref="SafetensorsFile"/>), so other tools
/// can read the tensors. The header's <c>__metadata__</c> carries the <see cref="CheckpointState"/> as JSON and a
/// SHA-256 over every tensor's name, dtype, shape and bytes and over that state: a truncated or altered file is
/// reported, never loaded, and no size it declares is allocated before it is checked against the file. Restoring
/// also checks the checkpoint was written by a server like this one: strategy, seed, clients, model, partition of
/// the data, and every tensor's name, dtype and shape. The tensors are
/// <see cref="Federation.FederatedStrategy.StateTensors"/>: the global parameters plus whatever state a strategy
/// keeps (server moments, per-client optimizer state, adapters). Writes are atomic (temp file + rename), so a
/// crash leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    private const string StateKey = "fedps.state";
    private const string ChecksumKey = "fedps.sha256";

    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static CheckpointInfo Save(FedServer server, string path, string? config = null)
    {
        var state = new CheckpointState
        {
            Round = server.Round,
            Strategy = server.Strategy.Name,
            Seed = server.Seed,
            ClientCount = server.Clients.Count,
            Model = ModelOf(server),
            Partition = PartitionOf(server),
            Config = config,
            History = server.History.ToArray(),
        };
        var tensors = StateOf(server);
        var full = System.IO.Path.GetFullPath(path);
        string checksum = string.Empty;
        FileWrites.Replace(full, temp =>
        {
            using var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
            var stateJson = JsonSerializer.Serialize(state, Json);
            var hosts = tensors.Select(t => (t.Name, Value: t.Value.detach().cpu().contiguous())).ToArray();
            try
            {
                checksum = Digest(hosts.Select(h => (h.Name, h.Value.dtype, h.Value.shape, h.Value.bytes.ToArray())), stateJson);
                SafetensorsFile.Write(file, hosts, new Dictionary<string, string> { [StateKey] = stateJson, [ChecksumKey] = checksum });
            }
            finally
            {
                foreach (var (_, value) in hosts)
                {
                    value.Dispose();
                }
            }

            file.Flush(flushToDisk: true);
        });
        return new CheckpointInfo(full, state.Round, state.Strategy, state.Seed, new FileInfo(full).Length, checksum, DateTime.UtcNow);
    }

    /// <summary>Reads and verifies a checkpoint; the caller disposes the tensors.</summary>
    public static (CheckpointState State, Dictionary<string, Tensor> Tensors, CheckpointInfo Info) Read(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The checkpoint '{path}' does not exist.", path);
        }

        using var file = SafetensorsFile.Open(full);
        var header = ReadHeader(file, full);
        var stateJson = header.Metadata.GetValueOrDefault(StateKey) ?? throw Corrupt(full, $"its metadata has no '{StateKey}' (it is not a FedPS checkpoint).");
        var expected = header.Metadata.GetValueOrDefault(ChecksumKey) ?? throw Corrupt(full, $"its metadata has no '{ChecksumKey}'.");
        var state = DeserializeState(stateJson, full);
        var blobs = header.Entries.Select(e => SafetensorsFile.ReadBytes(file, header, e)).ToArray();
        var actual = Digest(header.Entries.Select((e, i) => (e.Name, e.DType, e.Shape, blobs[i])), stateJson);
        if (actual != expected)
        {
            throw Corrupt(full, "its SHA-256 checksum does not match its contents (the file was truncated or altered).");
        }

        var tensors = header.Entries.Select((e, i) => (e.Name, Tensor: SafetensorsFile.ToTensor(e, blobs[i]))).ToDictionary(t => t.Name, t => t.Tensor);
        return (state, tensors, new CheckpointInfo(full, state.Round, state.Strategy, state.Seed, file.Length, actual, File.GetLastWriteTimeUtc(full)));
    }

    /// <summary>Loads a checkpoint into <paramref name="server"/>, after checking it was written by a server like it.</summary>
    public static CheckpointInfo Restore(FedServer server, string path, string? expectedConfig = null)
    {
        var (state, tensors, info) = Read(path);
        try
        {
            var mismatch = state.Strategy != server.Strategy.Name ? $"strategy {state.Strategy}, not {server.Strategy.Name}"
                : state.Seed != server.Seed ? $"seed {state.Seed}, not {server.Seed}"
                : state.ClientCount != server.Clients.Count ? $"{state.ClientCount} clients, not {server.Clients.Count}"
                : state.Model != ModelOf(server) ? $"another model ({JsonDiff.First(state.Model, ModelOf(server))})"
                : state.Partition != PartitionOf(server) ? "another division of the data among the clients (partition, seed or dataset)"
                : expectedConfig is not null && state.Config is not null && state.Config != expectedConfig ? "a different experiment config"
                : TensorMismatch(tensors, StateOf(server), server);
            if (mismatch is not null)
            {
                throw new FedPSException(FedErrorKind.InvalidOperation,
                    $"The checkpoint '{path}' was written by a run with {mismatch}; it cannot continue this one.", path);
            }

            server.Restore(state.History, tensors);
            return info;
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>SHA-256 of a parameter set's bytes, in order: equal hashes mean bit-identical parameters.</summary>
    public static string Fingerprint(IEnumerable<Tensor> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var tensor in tensors)
        {
            using var host = tensor.detach().cpu().contiguous();
            sha.AppendData(host.bytes);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>How the clients' data was divided: each client's id, sample count, partition and label histogram, hashed.</summary>
    public static string PartitionOf(FedServer server)
    {
        var text = string.Join('\n', server.Clients.Select(c =>
            $"{c.Id}|{c.Data.Count}|{c.Data.Partition}|{c.Data.Data.Name}|{string.Join(',', c.Data.LabelHistogram)}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static string ModelOf(FedServer server) => JsonSerializer.Serialize(server.Model.Spec, Json);

    // The one place that asks the strategy for its state (what a checkpoint holds).
    private static IReadOnlyList<(string Name, Tensor Value)> StateOf(FedServer server) => server.StateTensors(); // the strategy's and the stages'

    private static SafetensorsHeader ReadHeader(FileStream file, string path)
    {
        try
        {
            return SafetensorsFile.ReadHeader(file, path);
        }
        catch (FedPSException ex) when (ex.Kind == FedErrorKind.InvalidData)
        {
            throw Corrupt(path, ex.Message, ex);
        }
    }

    private static CheckpointState DeserializeState(string json, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var format = document.RootElement.TryGetProperty(nameof(CheckpointState.Format), out var f) ? f.GetString() : null;
            if (format != CheckpointState.CurrentFormat)
            {
                throw Corrupt(path, $"its format is '{format}', not '{CheckpointState.CurrentFormat}' (written by another version of FedPS); " +
                                    "delete it to start the run over.");
            }

            return document.RootElement.Deserialize<CheckpointState>(Json) ?? throw Corrupt(path, "its state is empty.");
        }
        catch (JsonException ex)
        {
            throw Corrupt(path, $"its state is not valid JSON ({ex.Message}).", ex);
        }
    }

    private static string? TensorMismatch(IReadOnlyDictionary<string, Tensor> saved, IReadOnlyList<(string Name, Tensor Value)> own, FedServer server)
    {
        foreach (var (name, value) in own)
        {
            if (!saved.TryGetValue(name, out var theirs))
            {
                return $"no tensor '{name}'";
            }

            if (theirs.dtype != value.dtype || !theirs.shape.SequenceEqual(value.shape))
            {
                return $"tensor '{name}' of {theirs.dtype} [{string.Join(", ", theirs.shape)}], not {value.dtype} [{string.Join(", ", value.shape)}]";
            }
        }

        // A stage's per-client state (error-feedback residuals) exists only for clients that have trained, so a server
        // that has not run yet holds none: its stages take theirs (and fail on what they cannot), extras of others do not pass.
        var extra = saved.Keys.Except(own.Select(o => o.Name)).FirstOrDefault(name => !server.Stages.Any(s => name.StartsWith($"stage/{s.Name}/", StringComparison.Ordinal)));
        return extra is null ? null : $"the tensor '{extra}', which this server does not have";
    }

    // Every field length-prefixed, so no two different files hash the same bytes.
    private static string Digest(IEnumerable<(string Name, ScalarType DType, long[] Shape, byte[] Data)> tensors, string stateJson)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var number = new byte[8];
        void Append(ReadOnlySpan<byte> bytes)
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, bytes.Length);
            sha.AppendData(number);
            sha.AppendData(bytes);
        }

        foreach (var (name, dtype, shape, data) in tensors)
        {
            Append(Encoding.UTF8.GetBytes(name));
            Append(Encoding.UTF8.GetBytes(SafetensorsFile.CodeOf(dtype)));
            Append(shape.SelectMany(BitConverter.GetBytes).ToArray());
            Append(data);
        }

        Append(Encoding.UTF8.GetBytes(stateJson));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static FedPSException Corrupt(string path, string why, Exception? inner = null) =>
        new(FedErrorKind.InvalidData, $"The checkpoint '{path}' is corrupt: {why}", path, inner);
}
