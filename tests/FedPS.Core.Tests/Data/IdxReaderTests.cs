using System.Buffers.Binary;
using System.IO.Compression;
using FedPS.Core;
using FedPS.Core.Data;

namespace FedPS.Core.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("fedps-idx-");

    public void Dispose() => folder.Delete(recursive: true);

    private static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + (4 * dims.Length) + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        data.CopyTo(bytes, 4 + (4 * dims.Length));
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(folder.FullName, name);
        if (gzip)
        {
            using var file = File.Create(path);
            using var stream = new GZipStream(file, CompressionLevel.Fastest);
            stream.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }

        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_dimensions_and_values_from_raw_and_gzip_files(bool gzip)
    {
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        var path = Write("images", Idx([2, 3, 4], data), gzip);

        var array = IdxReader.Read(path);

        Assert.Equal([2, 3, 4], array.Dimensions);
        Assert.Equal(data, array.Data);
    }

    [Fact]
    public void A_truncated_file_fails_naming_the_file()
    {
        var bytes = Idx([10, 2], new byte[20]);
        var path = Write("truncated", bytes[..^5]);

        var error = Assert.Throws<FedPSException>(() => IdxReader.Read(path));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_wrong_magic_number_is_rejected()
    {
        var bytes = Idx([4], new byte[4]);
        bytes[0] = 0x12;
        var error = Assert.Throws<FedPSException>(() => IdxReader.Read(Write("bad", bytes)));
        Assert.Contains("magic number", error.Message);
    }

    [Fact]
    public void An_unsupported_element_type_is_rejected()
    {
        var bytes = Idx([4], new byte[4]);
        bytes[2] = 0x0D; // float
        var error = Assert.Throws<FedPSException>(() => IdxReader.Read(Write("float", bytes)));
        Assert.Contains("element type", error.Message);
    }

    [Fact]
    public void A_missing_file_is_reported_as_not_found()
    {
        var path = Path.Combine(folder.FullName, "absent");
        var error = Assert.Throws<FedPSException>(() => IdxReader.Read(path));
        Assert.Equal(FedErrorKind.ObjectNotFound, error.Kind);
        Assert.Equal(path, error.Target);
    }
}
