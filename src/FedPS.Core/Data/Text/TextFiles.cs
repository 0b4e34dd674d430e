namespace FedPS.Core.Data.Text;

/// <summary>Shared file access for the text readers: every failure names the file and the package it comes from.</summary>
internal static class TextFiles
{
    public static void EnsureExists(string path, string package)
    {
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.NotInstalled,
                $"'{path}' is missing; it comes from the Debian package {package}. Install it with: Install-FedDataset -Name {package}", path);
        }
    }

    public static IEnumerable<string> ReadLines(string path, string package)
    {
        EnsureExists(path, package);
        return File.ReadLines(path, System.Text.Encoding.UTF8);
    }

    public static FedPSException Invalid(string path, string package, string problem) =>
        new(FedErrorKind.InvalidData, $"'{path}' (package {package}) is not valid: {problem}.", path);
}
