using System.Security.Cryptography;

namespace FedPS.Core.Data;

/// <summary>
/// The SHA-256 of every file FedPS installs, pinned in data-files.sha256 (sha256sum's format, paths relative to
/// the data folder, so <c>sha256sum -c --ignore-missing data-files.sha256</c> run in $FEDPS_DATA checks an
/// installation by hand). A file is installed or verified only when its bytes match its pin.
/// </summary>
public static class PinnedHashes
{
    private const string ResourceName = "FedPS.Core.Data.data-files.sha256";

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> Pins = new(Load);

    /// <summary>The pinned hashes of one package's files, by file name (empty for a package FedPS does not know).</summary>
    public static IReadOnlyDictionary<string, string> For(string package) =>
        Pins.Value.GetValueOrDefault(package) ?? new Dictionary<string, string>();

    /// <summary>
    /// Checks each of <paramref name="files"/> (paths of the package's files, wherever they are) against the
    /// package's pins; <paramref name="remedy"/> ends the message of a mismatch.
    /// </summary>
    public static void Verify(IDataPackage package, IEnumerable<string> files, string remedy)
    {
        foreach (var path in files)
        {
            var name = Path.GetFileName(path);
            if (!package.Sha256.TryGetValue(name, out var pinned))
            {
                throw new FedPSException(FedErrorKind.InvalidData,
                    $"FedPS has no pinned SHA-256 for '{package.Name}/{name}', so it cannot vouch for '{path}'. {remedy}", path);
            }

            var actual = Sha256Of(path);
            if (!string.Equals(actual, pinned, StringComparison.OrdinalIgnoreCase))
            {
                throw new FedPSException(FedErrorKind.InvalidData,
                    $"'{path}' is not the file FedPS knows as '{package.Name}/{name}': its SHA-256 is {actual}, not {pinned}. {remedy}", path);
            }
        }
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Load()
    {
        using var stream = typeof(PinnedHashes).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from FedPS.Core.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split("  ", 2))
            .Select(parts => (Hash: parts[0], Package: parts[1].Split('/')[0], File: parts[1].Split('/')[1]))
            .GroupBy(p => p.Package, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, string>)g.ToDictionary(p => p.File, p => p.Hash), StringComparer.OrdinalIgnoreCase);
    }
}
