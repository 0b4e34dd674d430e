using System.Globalization;
using System.IO.Compression;

namespace FedPS.Core.Data;

/// <summary>
/// Reads scikit-learn's <c>digits.csv.gz</c>: one 8×8 image per line as 64 integers 0..16, then the label 0..9.
/// </summary>
public static class DigitsCsvReader
{
    public const int PixelCount = 64;
    public const int MaxPixelValue = 16;

    public static (byte[] Pixels, byte[] Labels) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"Digits file '{path}' does not exist.", path);
        }

        var pixels = new List<byte>();
        var labels = new List<byte>();
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            var lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (line.Length == 0)
                {
                    continue;
                }

                var fields = line.Split(',');
                if (fields.Length != PixelCount + 1)
                {
                    throw Corrupt(path, $"line {lineNumber} has {fields.Length} fields, expected {PixelCount + 1}");
                }

                for (var i = 0; i <= PixelCount; i++)
                {
                    var max = i < PixelCount ? MaxPixelValue : 9;
                    if (!int.TryParse(fields[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ||
                        value < 0 || value > max)
                    {
                        throw Corrupt(path, $"line {lineNumber}, field {i + 1} is '{fields[i]}', expected an integer 0..{max}");
                    }

                    (i < PixelCount ? pixels : labels).Add((byte)value);
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(path, $"the gzip stream is damaged ({ex.Message})");
        }

        if (labels.Count == 0)
        {
            throw Corrupt(path, "it holds no samples");
        }

        return (pixels.ToArray(), labels.ToArray());
    }

    private static FedPSException Corrupt(string path, string why) =>
        new(FedErrorKind.InvalidData, $"Digits file '{path}' is not valid: {why}.", path);
}
