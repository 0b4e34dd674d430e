using System.Buffers.Binary;
using System.IO.Compression;

namespace FedPS.Core.Data;

/// <summary>An n-dimensional unsigned-byte array read from an IDX file (LeCun's MNIST format).</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    public int Count => Dimensions[0];
}

/// <summary>
/// Reads IDX files, raw or gzip-compressed (detected from the content, not the file name).
/// Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then each dimension
/// as a big-endian int32; the data follows. Every size is checked against the file, so a truncated download
/// fails here with the file's name instead of producing a silently short dataset.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    public static IdxArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"IDX file '{path}' does not exist.", path);
        }

        byte[] bytes;
        try
        {
            bytes = ReadAllBytesDecompressed(path);
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(path, $"the gzip stream is damaged ({ex.Message})");
        }

        return Parse(bytes, path);
    }

    public static IdxArray Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 4)
        {
            throw Corrupt(source, $"it has {bytes.Length} bytes, fewer than the 4-byte magic number");
        }

        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw Corrupt(source, $"the magic number starts with 0x{bytes[0]:x2}{bytes[1]:x2}, not 0x0000");
        }

        if (bytes[2] != UnsignedByteType)
        {
            throw Corrupt(source, $"element type 0x{bytes[2]:x2} is not supported (only 0x08, unsigned byte)");
        }

        int rank = bytes[3];
        var headerLength = 4 + (4 * rank);
        if (rank == 0 || bytes.Length < headerLength)
        {
            throw Corrupt(source, $"the header declares {rank} dimensions but the file ends after {bytes.Length} bytes");
        }

        var dims = new int[rank];
        long expected = 1;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(4 + (4 * i), 4));
            if (dims[i] <= 0)
            {
                throw Corrupt(source, $"dimension {i} has size {dims[i]}");
            }

            expected *= dims[i];
        }

        var actual = bytes.Length - headerLength;
        if (actual != expected)
        {
            throw Corrupt(source,
                $"the header declares {string.Join("x", dims)} = {expected} values but the file holds {actual}" +
                (actual < expected ? " (truncated)" : string.Empty));
        }

        return new IdxArray(dims, bytes[headerLength..].ToArray());
    }

    private static byte[] ReadAllBytesDecompressed(string path)
    {
        using var file = File.OpenRead(path);
        var isGzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        if (!isGzip)
        {
            var raw = new byte[file.Length];
            file.ReadExactly(raw);
            return raw;
        }

        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static FedPSException Corrupt(string source, string why) =>
        new(FedErrorKind.InvalidData, $"IDX file '{source}' is not valid: {why}.", source);
}
