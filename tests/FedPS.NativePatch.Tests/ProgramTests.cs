namespace FedPS.NativePatch.Tests;

public sealed class ProgramTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose() => _temp.Dispose();

    private int Run(params string[] args) => Program.Run(args, _output, _error);

    [Fact]
    public void DirectoryArgumentPatchesTheLibTorchSharpInsideIt()
    {
        string file = _temp.Write("libLibTorchSharp.so", SyntheticElf.Standard().Bytes);

        Assert.Equal(0, Run(_temp.Path));

        Assert.Equal($"{file}: libstdc++.so.6 GLIBCXX_3.4.32 marked weak", _output.ToString().Trim());
        Assert.Equal(0, Run(_temp.Path));
        Assert.EndsWith($"{file}: libstdc++.so.6 GLIBCXX_3.4.32 already weak, unchanged", _output.ToString().Trim());
    }

    [Fact]
    public void DirectoryWithoutTheLibrarySucceedsWithNothingToDo()
    {
        Assert.Equal(0, Run(_temp.Path));

        Assert.Contains("nothing to patch", _output.ToString());
    }

    [Fact]
    public void VersionOptionsChooseWhichNeedsBecomeWeak()
    {
        string file = _temp.Write("lib.so", SyntheticElf.Standard().Bytes);

        Assert.Equal(0, Run(file, "--version", "GLIBC_2.2.5", "--version", "NOT_THERE_1.0"));

        Assert.Equal($"{file}: libc.so.6 GLIBC_2.2.5 marked weak", _output.ToString().Trim());
    }

    [Fact]
    public void FileWithoutTheNeedSucceedsAndSaysSo()
    {
        string file = _temp.Write("lib.so", SyntheticElf.Build(("libc.so.6", ["GLIBC_2.2.5"])).Bytes);

        Assert.Equal(0, Run(file));

        Assert.Equal($"{file}: no need for GLIBCXX_3.4.32, unchanged", _output.ToString().Trim());
    }

    [Fact]
    public void BadFileFailsWithAMessageNamingIt()
    {
        string file = _temp.Write("libLibTorchSharp.so", "not a library"u8.ToArray());

        Assert.Equal(1, Run(file));

        Assert.Contains($"error: {file}: not an ELF file", _error.ToString());
    }

    [Fact]
    public void MissingPathFails()
    {
        string missing = Path.Combine(_temp.Path, "missing.so");

        Assert.Equal(1, Run(missing));

        Assert.Contains(missing, _error.ToString());
    }

    [Theory]
    [InlineData]
    [InlineData("--version")]
    [InlineData("--frobnicate", "x.so")]
    public void BadCommandLineIsAUsageError(params string[] args)
    {
        Assert.Equal(2, Run(args));

        Assert.Contains("usage:", _error.ToString());
    }
}
