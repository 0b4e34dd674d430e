using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>What a checkpoint holds besides tensors: enough to check it belongs to a server and to continue its run.</summary>
public sealed record CheckpointState
{
    public const string CurrentFormat = "fedps-checkpoint/1";

    public string Format { get; init; } = CurrentFormat;

    public required int Round { get; init; }

    public required string Strategy { get; init; }

    public required int Seed { get; init; }

    public required int ClientCount { get; init; }

    /// <summary>The run's resolved config (canonical JSON) when an experiment wrote it; resuming checks it matches.</summary>
    public string? Config { get; init; }

    public required IReadOnlyList<RoundResult> History { get; init; }
}

/// <summary>A checkpoint file as written or found: where, which round, its size and checksum.</summary>
public sealed record CheckpointInfo(string Path, int Round, string Strategy, int Seed, long Bytes, string Sha256, DateTime WrittenUtc);

/// <summary>
/// Checkpoints of a <see cref="FedServer"/> in the safetensors layout (an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw little-endian bytes), so other tools can
/// read the tensors. The header's <c>__metadata__</c> carries the <see cref="CheckpointState"/> as JSON and a
/// SHA-256 over the tensor bytes and that state: a truncated or altered file is reported, never loaded. The tensors
/// are <see cref="Federation.FederatedStrategy.StateTensors"/>: the global parameters plus whatever state a
/// strategy keeps (server moments, per-client optimizer state, adapters). Writes are atomic (temp file + rename),
/// so a crash leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    private const string StateKey = "fedps.state";
    private const string ChecksumKey = "fedps.sha256";
    private const string MetadataKey = "__metadata__";

    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly Dictionary<ScalarType, string> DTypes = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    public static CheckpointInfo Save(FedServer server, string path, string? config = null)
    {
        var state = new CheckpointState
        {
            Round = server.Round,
            Strategy = server.Strategy.Name,
            Seed = server.Seed,
            ClientCount = server.Clients.Count,
            Config = config,
            History = server.History.ToArray(),
        };
        var tensors = server.StateTensors().ToArray();
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The folder '{folder}' does not exist.", folder);
        }

        var temp = $"{full}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        string checksum;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                checksum = Write(file, tensors, state);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

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

        var bytes = File.ReadAllBytes(full);
        try
        {
            return Parse(bytes, full);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or KeyNotFoundException
                                       or FormatException or IndexOutOfRangeException or OverflowException or NotSupportedException)
        {
            throw Corrupt(full, ex.Message, ex);
        }
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
                : expectedConfig is not null && state.Config is not null && state.Config != expectedConfig ? "a different experiment config"
                : null;
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

    private static string Write(Stream output, IReadOnlyList<(string Name, Tensor Value)> tensors, CheckpointState state)
    {
        var header = new Dictionary<string, object>();
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            using var host = value.detach().cpu().contiguous();
            var data = host.bytes.ToArray();
            header[name] = new TensorEntry(DTypes[host.dtype], host.shape, [offset, offset + data.Length]);
            blobs.Add(data);
            offset += data.Length;
        }

        var stateJson = JsonSerializer.Serialize(state, Json);
        var checksum = Checksum(blobs, stateJson);
        header[MetadataKey] = new Dictionary<string, string> { [StateKey] = stateJson, [ChecksumKey] = checksum };
        var headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        output.Write(length);
        output.Write(headerBytes);
        foreach (var blob in blobs)
        {
            output.Write(blob);
        }

        return checksum;
    }

    private static (CheckpointState, Dictionary<string, Tensor>, CheckpointInfo) Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 8)
        {
            throw Corrupt(path, "it is shorter than a header.");
        }

        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength <= 0 || headerLength > bytes.Length - 8)
        {
            throw Corrupt(path, "its header length is out of range.");
        }

        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var metadata = header.RootElement.GetProperty(MetadataKey);
        var stateJson = metadata.GetProperty(StateKey).GetString()!;
        var expected = metadata.GetProperty(ChecksumKey).GetString()!;
        var dataStart = 8 + (int)headerLength;
        var entries = header.RootElement.EnumerateObject().Where(p => p.Name != MetadataKey)
            .Select(p => (p.Name, Entry: p.Value.Deserialize<TensorEntry>(Json)!))
            .OrderBy(e => e.Entry.DataOffsets[0])
            .ToArray();
        var blobs = entries.Select(e => bytes[(dataStart + (int)e.Entry.DataOffsets[0])..(dataStart + (int)e.Entry.DataOffsets[1])]).ToArray();
        var actual = Checksum(blobs, stateJson);
        if (actual != expected)
        {
            throw Corrupt(path, "its SHA-256 checksum does not match its contents (the file was truncated or altered).");
        }

        var state = JsonSerializer.Deserialize<CheckpointState>(stateJson, Json)!;
        if (state.Format != CheckpointState.CurrentFormat)
        {
            throw Corrupt(path, $"its format is '{state.Format}', not '{CheckpointState.CurrentFormat}'.");
        }

        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < entries.Length; i++)
        {
            var (name, entry) = entries[i];
            var dtype = DTypes.First(d => d.Value == entry.DType).Key;
            var tensor = empty(entry.Shape, dtype);
            tensor.bytes = blobs[i];
            tensors[name] = tensor;
        }

        return (state, tensors, new CheckpointInfo(path, state.Round, state.Strategy, state.Seed, bytes.Length, actual, File.GetLastWriteTimeUtc(path)));
    }

    private static string Checksum(IEnumerable<byte[]> blobs, string stateJson)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var blob in blobs)
        {
            sha.AppendData(blob);
        }

        sha.AppendData(Encoding.UTF8.GetBytes(stateJson));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
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

    private static FedPSException Corrupt(string path, string why, Exception? inner = null) =>
        new(FedErrorKind.InvalidData, $"The checkpoint '{path}' is corrupt: {why}", path, inner);

    private sealed record TensorEntry(
        [property: JsonPropertyName("dtype")] string DType,
        [property: JsonPropertyName("shape")] long[] Shape,
        [property: JsonPropertyName("data_offsets")] long[] DataOffsets);
}
