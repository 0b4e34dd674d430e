using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace FedPS.Core.IO;

/// <summary>One tensor of a safetensors file: its name, dtype, shape and byte range in the data section.</summary>
public sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    public long Length => End - Begin;
}

/// <summary>What a safetensors header declares, every size already checked against the file.</summary>
public sealed record SafetensorsHeader(string Path, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<SafetensorsEntry> Entries, long DataStart);

/// <summary>
/// The safetensors layout (huggingface/safetensors): an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range (plus an optional <c>__metadata__</c> map of strings), then the raw
/// little-endian bytes. Reading checks every declared size before anything is allocated: the header length against
/// the spec's 100 MB limit and the file, each shape's byte count (overflow-checked) against its byte range, and the
/// ranges against the data section (in bounds, no overlap, no gap). A truncated, empty, text or hostile file is an
/// <see cref="FedErrorKind.InvalidData"/> error that names the file, never an allocation of what it claims.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>The safetensors specification's limit on the JSON header.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Tensors of higher rank are refused (FedPS's models use at most 4).</summary>
    public const int MaxRank = 8;

    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<ScalarType, (string Code, int Size)> DTypes = new()
    {
        [ScalarType.Float32] = ("F32", 4), [ScalarType.Float64] = ("F64", 8), [ScalarType.Float16] = ("F16", 2),
        [ScalarType.BFloat16] = ("BF16", 2), [ScalarType.Int64] = ("I64", 8), [ScalarType.Int32] = ("I32", 4),
        [ScalarType.Int16] = ("I16", 2), [ScalarType.Int8] = ("I8", 1), [ScalarType.Byte] = ("U8", 1), [ScalarType.Bool] = ("BOOL", 1),
    };

    public static string CodeOf(ScalarType dtype) => DTypes.TryGetValue(dtype, out var d)
        ? d.Code
        : throw new FedPSException(FedErrorKind.InvalidArgument, $"Tensors of type {dtype} cannot be written to a safetensors file.", dtype);

    /// <summary>Writes the tensors (in order, each contiguous on the CPU) and the metadata.</summary>
    public static void Write(Stream output, IReadOnlyList<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new Dictionary<string, object> { [MetadataKey] = metadata };
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            using var host = value.detach().cpu().contiguous();
            var data = host.bytes.ToArray();
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = CodeOf(host.dtype), ["shape"] = host.shape, ["data_offsets"] = new[] { offset, offset + data.Length },
            };
            blobs.Add(data);
            offset += data.Length;
        }

        var headerBytes = JsonSerializer.SerializeToUtf8Bytes(header);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        output.Write(length);
        output.Write(headerBytes);
        foreach (var blob in blobs)
        {
            output.Write(blob);
        }
    }

    /// <summary>Reads and checks the header; the stream is left anywhere.</summary>
    public static SafetensorsHeader ReadHeader(Stream file, string path)
    {
        var fileLength = file.Length;
        if (fileLength < 8)
        {
            throw Invalid(path, $"it has {fileLength} bytes, fewer than the 8-byte header length that starts a safetensors file.");
        }

        Span<byte> prefix = stackalloc byte[8];
        file.Position = 0;
        file.ReadExactly(prefix);
        var declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (declared < 2 || declared > (ulong)Math.Min(MaxHeaderBytes, fileLength - 8))
        {
            throw Invalid(path, $"its header length {declared} is not between 2 bytes and the smaller of the file's remaining {fileLength - 8} bytes and {MaxHeaderBytes} bytes (is it a safetensors file?).");
        }

        var headerBytes = new byte[(int)declared];
        file.ReadExactly(headerBytes);
        var dataStart = 8 + (long)declared;
        var dataLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw Invalid(path, $"its header is not valid JSON ({ex.Message}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, "its header is not a JSON object.");
            }

            var metadata = new Dictionary<string, string>();
            var entries = new List<SafetensorsEntry>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    metadata = ReadMetadata(property.Value, path);
                }
                else
                {
                    entries.Add(ReadEntry(property.Name, property.Value, dataLength, path));
                }
            }

            CheckLayout(entries, dataLength, path);
            return new SafetensorsHeader(path, metadata, entries, dataStart);
        }
    }

    /// <summary>The bytes of one tensor (whose size the header check bounded by the file's).</summary>
    public static byte[] ReadBytes(Stream file, SafetensorsHeader header, SafetensorsEntry entry)
    {
        var bytes = new byte[entry.Length];
        file.Position = header.DataStart + entry.Begin;
        file.ReadExactly(bytes);
        return bytes;
    }

    public static Tensor ToTensor(SafetensorsEntry entry, byte[] bytes)
    {
        var tensor = empty(entry.Shape, entry.DType);
        tensor.bytes = bytes;
        return tensor;
    }

    /// <summary>Every tensor of a file, by name; the caller disposes them.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = Open(path);
        var header = ReadHeader(file, path);
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (file.Length > available)
        {
            throw new FedPSException(FedErrorKind.LimitExceeded,
                $"'{path}' holds {file.Length:N0} bytes of tensors, more than the {available:N0} bytes of memory available.", path);
        }

        return header.Entries.ToDictionary(e => e.Name, e => ToTensor(e, ReadBytes(file, header, e)));
    }

    public static FileStream Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The file '{path}' does not exist.", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static Dictionary<string, string> ReadMetadata(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
        {
            throw Invalid(path, "its __metadata__ is not a map of strings.");
        }

        return value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    private static SafetensorsEntry ReadEntry(string name, JsonElement value, long dataLength, string path)
    {
        string Bad(string why) => $"tensor '{name}' {why}";
        if (value.ValueKind != JsonValueKind.Object ||
            !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String ||
            !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array ||
            !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Invalid(path, Bad("needs a dtype, a shape and two data_offsets."));
        }

        var type = DTypes.FirstOrDefault(d => d.Value.Code == dtype.GetString());
        if (type.Value.Code is null)
        {
            throw Invalid(path, Bad($"has the dtype '{dtype.GetString()}', which FedPS does not read ({string.Join(", ", DTypes.Values.Select(d => d.Code))})."));
        }

        if (shape.GetArrayLength() > MaxRank)
        {
            throw Invalid(path, Bad($"has {shape.GetArrayLength()} dimensions, more than {MaxRank}."));
        }

        var dims = shape.EnumerateArray().Select(d => d.TryGetInt64(out var n) && n >= 0 ? n : -1).ToArray();
        var range = offsets.EnumerateArray().Select(o => o.TryGetInt64(out var n) ? n : -1).ToArray();
        if (dims.Any(d => d < 0))
        {
            throw Invalid(path, Bad("has a shape that is not a list of non-negative integers."));
        }

        if (range[0] < 0 || range[1] < range[0] || range[1] > dataLength)
        {
            throw Invalid(path, Bad($"has the byte range [{range[0]}, {range[1]}), outside the {dataLength} bytes of data the file holds (truncated?)."));
        }

        long bytes;
        try
        {
            bytes = checked(dims.Aggregate(1L, (a, b) => checked(a * b)) * type.Value.Size);
        }
        catch (OverflowException)
        {
            throw Invalid(path, Bad($"declares the shape [{string.Join(", ", dims)}], too large to exist."));
        }

        if (bytes != range[1] - range[0])
        {
            throw Invalid(path, Bad($"declares the shape [{string.Join(", ", dims)}] of {dtype.GetString()} ({bytes} bytes) but the byte range holds {range[1] - range[0]}."));
        }

        if (bytes > Array.MaxLength)
        {
            throw new FedPSException(FedErrorKind.LimitExceeded,
                $"'{path}': tensor '{name}' has {bytes:N0} bytes, more than FedPS reads into one tensor ({Array.MaxLength:N0}).", path);
        }

        return new SafetensorsEntry(name, type.Key, dims, range[0], range[1]);
    }

    // The tensors tile the data section exactly: every byte belongs to one tensor.
    private static void CheckLayout(List<SafetensorsEntry> entries, long dataLength, string path)
    {
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expected = 0;
        foreach (var entry in entries)
        {
            if (entry.Begin != expected)
            {
                throw Invalid(path, $"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, not {expected}: tensors overlap or leave a gap.");
            }

            expected = entry.End;
        }

        if (expected != dataLength)
        {
            throw Invalid(path, $"its tensors cover {expected} bytes of data, but the file holds {dataLength}.");
        }
    }

    private static FedPSException Invalid(string path, string why) =>
        new(FedErrorKind.InvalidData, $"'{path}' is not a valid safetensors file: {why}", path);
}
