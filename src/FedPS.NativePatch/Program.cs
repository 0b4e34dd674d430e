namespace FedPS.NativePatch;

/// <summary>CLI: <c>FedPS.NativePatch &lt;file-or-directory&gt;... [--version NAME]...</c></summary>
public static class Program
{
    private const string Usage =
        "usage: FedPS.NativePatch <file-or-directory>... [--version NAME]...\n" +
        $"Marks the named symbol-version needs (default {ElfVersionNeedPatcher.DefaultVersion}) weak in ELF64 shared libraries.\n" +
        $"A directory stands for the {ElfVersionNeedPatcher.LibTorchSharpFileName} inside it, if there is one.";

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Exit code 0 on success (also when nothing needed changing), 1 on a patch error, 2 on a usage error.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var paths = new List<string>();
        var versions = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    output.WriteLine(Usage);
                    return 0;
                case "--version" when i + 1 < args.Count:
                    versions.Add(args[++i]);
                    break;
                case "--version":
                    return UsageError(error, "--version needs a NAME");
                case var option when option.StartsWith('-'):
                    return UsageError(error, $"unknown option {option}");
                default:
                    paths.Add(args[i]);
                    break;
            }
        }
        if (paths.Count == 0)
        {
            return UsageError(error, "no file or directory given");
        }
        if (versions.Count == 0)
        {
            versions.Add(ElfVersionNeedPatcher.DefaultVersion);
        }

        try
        {
            foreach (string path in paths)
            {
                string file = path;
                if (Directory.Exists(path))
                {
                    file = Path.Combine(path, ElfVersionNeedPatcher.LibTorchSharpFileName);
                    if (!File.Exists(file))
                    {
                        output.WriteLine($"{path}: no {ElfVersionNeedPatcher.LibTorchSharpFileName} here, nothing to patch");
                        continue;
                    }
                }
                else if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"{path}: no such file or directory", path);
                }
                Report(ElfVersionNeedPatcher.PatchFile(file, versions), versions, output);
            }
            return 0;
        }
        catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"FedPS.NativePatch: error: {e.Message}");
            return 1;
        }
    }

    private static void Report(PatchResult result, IEnumerable<string> versions, TextWriter output)
    {
        if (result.Matches.Count == 0)
        {
            output.WriteLine($"{result.FilePath}: no need for {string.Join(", ", versions)}, unchanged");
        }
        foreach (VersionNeed need in result.Matches)
        {
            output.WriteLine(need.WasAlreadyWeak
                ? $"{result.FilePath}: {need.Library} {need.Version} already weak, unchanged"
                : $"{result.FilePath}: {need.Library} {need.Version} marked weak");
        }
    }

    private static int UsageError(TextWriter error, string message)
    {
        error.WriteLine($"FedPS.NativePatch: error: {message}");
        error.WriteLine(Usage);
        return 2;
    }
}
