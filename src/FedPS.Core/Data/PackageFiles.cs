namespace FedPS.Core.Data;

/// <summary>Resolves a package's file names and wildcard patterns against a folder.</summary>
public static class PackageFiles
{
    public static IReadOnlyList<string> Match(string folder, string pattern)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        if (pattern.IndexOfAny(['*', '?']) < 0)
        {
            var path = Path.Combine(folder, pattern);
            return File.Exists(path) ? [path] : [];
        }

        return Directory.GetFiles(folder, pattern).Order(StringComparer.Ordinal).ToArray();
    }

    public static bool AllPresent(IDataPackage package) => package.Files.All(f => Match(package.Folder, f).Count > 0);
}
