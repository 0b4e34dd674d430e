using FedPS.Core.IO;

namespace FedPS.Core.Tests.IO;

public sealed class FileWritesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-writes-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_refused_write_names_the_destination_not_the_temporary_file()
    {
        // /sys refuses new files even to root (these tests run as root, which ignores file modes); it exists on Linux only.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = "/sys/fedps-results.csv";

        var error = Assert.Throws<FedPSException>(() => FileWrites.Replace(path, temp => File.WriteAllText(temp, "x")));

        Assert.Equal(FedErrorKind.PermissionDenied, error.Kind);
        Assert.Equal(path, error.Target);
        Assert.DoesNotContain(".tmp", error.Message);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_whole_and_no_temporary_file()
    {
        var path = Path.Combine(folder, "r.csv");
        File.WriteAllText(path, "previous");

        Assert.Throws<InvalidOperationException>(() => FileWrites.Replace(path, temp =>
        {
            File.WriteAllText(temp, "half");
            throw new InvalidOperationException("crash while writing");
        }));

        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void A_destination_that_is_a_folder_or_in_a_missing_folder_is_refused_by_name()
    {
        var missing = Path.Combine(folder, "nope", "r.csv");

        Assert.Equal(FedErrorKind.InvalidArgument, Assert.Throws<FedPSException>(() => FileWrites.Replace(folder, _ => { })).Kind);
        Assert.Equal(missing, Assert.Throws<FedPSException>(() => FileWrites.Replace(missing, _ => { })).Target);
    }
}
