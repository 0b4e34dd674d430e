using System.IO.Compression;
using System.Text;

namespace FedPS.Core.Data.Text;

/// <summary>One headword of a dictd dictionary and its definition text.</summary>
public sealed record DictdEntry(string Headword, string Definition);

/// <summary>
/// Reads dictd dictionaries (FreeDict, FOLDOC): <c>name.index</c> has one line per headword,
/// "headword TAB offset TAB length" with offset and length in dictd's base64 digits; <c>name.dict.dz</c> is
/// dictzip, i.e. gzip-readable, and the definitions are byte ranges of its uncompressed text.
/// Entries whose headword starts with "00-database"/"00database" (dictionary metadata) are skipped.
/// </summary>
public static class DictdReader
{
    private const string Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    public static IReadOnlyList<DictdEntry> Read(string indexPath, string dictPath, string package)
    {
        var text = ReadDict(dictPath, package);
        var entries = new List<DictdEntry>();
        var lineNumber = 0;
        foreach (var line in TextFiles.ReadLines(indexPath, package))
        {
            lineNumber++;
            var fields = line.Split('\t');
            if (fields.Length < 3)
            {
                throw TextFiles.Invalid(indexPath, package, $"line {lineNumber} has {fields.Length} tab-separated fields, expected headword, offset, length");
            }

            if (fields[0].StartsWith("00-database", StringComparison.Ordinal) || fields[0].StartsWith("00database", StringComparison.Ordinal))
            {
                continue;
            }

            var offset = Decode(fields[1], indexPath, package, lineNumber);
            var length = Decode(fields[2], indexPath, package, lineNumber);
            if (offset + length > text.Length)
            {
                throw TextFiles.Invalid(indexPath, package,
                    $"line {lineNumber} points at bytes {offset}..{offset + length} but '{dictPath}' has {text.Length}");
            }

            entries.Add(new DictdEntry(fields[0], Encoding.UTF8.GetString(text, (int)offset, (int)length)));
        }

        return entries;
    }

    /// <summary>dictd's base64 number: most significant digit first, A = 0 ... / = 63.</summary>
    public static long Decode(string digits, string path = "", string package = "", int line = 0)
    {
        long value = 0;
        foreach (var c in digits)
        {
            var digit = Digits.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                throw TextFiles.Invalid(path, package, $"line {line} has '{digits}', which is not a dictd base64 number");
            }

            value = (value * 64) + digit;
        }

        return value;
    }

    private static byte[] ReadDict(string path, string package)
    {
        TextFiles.EnsureExists(path, package);
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw TextFiles.Invalid(path, package, $"it is not gzip/dictzip data ({ex.Message})");
        }
    }
}
