using System.Buffers.Binary;
using System.Reflection;

namespace FedPS.NativePatch.Tests;

public sealed class ElfVersionNeedPatcherTests : IDisposable
{
    private const ushort Weak = 0x2;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void MarksOnlyTheGlibcxx3432NeedWeak()
    {
        SyntheticElf elf = SyntheticElf.Standard();
        string file = _temp.Write("libLibTorchSharp.so", elf.Bytes);

        PatchResult result = ElfVersionNeedPatcher.PatchFile(file);

        Assert.True(result.Changed);
        Assert.Equal(file, result.FilePath);
        Assert.Equal([new VersionNeed("GLIBCXX_3.4.32", "libstdc++.so.6", WasAlreadyWeak: false)], result.Matches);
        byte[] expected = (byte[])elf.Bytes.Clone();
        expected[elf.FlagOffsets["GLIBCXX_3.4.32"]] |= (byte)Weak;
        Assert.Equal(expected, File.ReadAllBytes(file));
    }

    [Fact]
    public void SecondRunIsANoOpThatReportsAlreadyWeak()
    {
        string file = _temp.Write("lib.so", SyntheticElf.Standard().Bytes);
        ElfVersionNeedPatcher.PatchFile(file);
        byte[] afterFirstRun = File.ReadAllBytes(file);
        // Run the second time through a symbolic link: any rewrite (temp file + rename) would replace the link.
        string link = Path.Combine(_temp.Path, "link.so");
        File.CreateSymbolicLink(link, file);

        PatchResult second = ElfVersionNeedPatcher.PatchFile(link);

        Assert.False(second.Changed);
        Assert.Equal([new VersionNeed("GLIBCXX_3.4.32", "libstdc++.so.6", WasAlreadyWeak: true)], second.Matches);
        Assert.Equal(afterFirstRun, File.ReadAllBytes(file));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void PatchingALinkedCopyNeverWritesThroughToTheOriginal()
    {
        // Build output may link to the NuGet cache; the patch must replace the link, not edit the cached file.
        byte[] original = SyntheticElf.Standard().Bytes;
        string cached = _temp.Write("cached.so", original);
        string output = Path.Combine(_temp.Path, "libLibTorchSharp.so");
        File.CreateSymbolicLink(output, cached);

        Assert.True(ElfVersionNeedPatcher.PatchFile(output).Changed);

        Assert.Equal(original, File.ReadAllBytes(cached));
        Assert.Null(new FileInfo(output).LinkTarget);
        Assert.NotEqual(original, File.ReadAllBytes(output));
    }

    [Fact]
    public void FileWithoutTheVersionNeedIsLeftUntouched()
    {
        byte[] original = SyntheticElf.Build(("libstdc++.so.6", ["GLIBCXX_3.4.30"])).Bytes;
        string file = _temp.Write("lib.so", original);

        PatchResult result = ElfVersionNeedPatcher.PatchFile(file);

        Assert.Empty(result.Matches);
        Assert.False(result.Changed);
        Assert.Equal(original, File.ReadAllBytes(file));
    }

    [Fact]
    public void MarksEveryRequestedVersionAndNothingElse()
    {
        SyntheticElf elf = SyntheticElf.Standard();
        string file = _temp.Write("lib.so", elf.Bytes);

        PatchResult result = ElfVersionNeedPatcher.PatchFile(file, ["GLIBC_2.2.5", "GLIBCXX_3.4.30"]);

        Assert.Equal(
            [new VersionNeed("GLIBC_2.2.5", "libc.so.6", false), new VersionNeed("GLIBCXX_3.4.30", "libstdc++.so.6", false)],
            result.Matches);
        byte[] patched = File.ReadAllBytes(file);
        Assert.Equal(Weak, Flags(patched, elf.FlagOffsets["GLIBC_2.2.5"]));
        Assert.Equal(Weak, Flags(patched, elf.FlagOffsets["GLIBCXX_3.4.30"]));
        Assert.Equal(0, Flags(patched, elf.FlagOffsets["GLIBCXX_3.4.32"]));
    }

    [Fact]
    public void PatchedFileKeepsItsModeAndTimestampAndLeavesNoTempFile()
    {
        string file = _temp.Write("lib.so", SyntheticElf.Standard().Bytes);
        var stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, stamp);
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, mode);
        }

        Assert.True(ElfVersionNeedPatcher.PatchFile(file).Changed);

        Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(mode, File.GetUnixFileMode(file));
        }
        Assert.Equal([file], Directory.GetFiles(_temp.Path));
    }

    [Theory]
    [InlineData("plain text", "not an ELF file")]
    [InlineData("", "not an ELF file")]
    [InlineData("\u007FEL", "not an ELF file")]
    public void NonElfInputFailsNamingTheFile(string content, string problem)
    {
        string file = _temp.Write("notelf.so", System.Text.Encoding.ASCII.GetBytes(content));

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.PatchFile(file));

        Assert.Equal(file, error.FilePath);
        Assert.StartsWith(file + ": ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData(5)]    // magic and class only
    [InlineData(40)]   // part of the ELF header
    [InlineData(-1)]   // section headers cut off: keep all but the last byte
    public void TruncatedInputFailsNamingTheFileAndIsNotModified(int length)
    {
        byte[] whole = SyntheticElf.Standard().Bytes;
        byte[] truncated = whole[..(length < 0 ? whole.Length + length : length)];
        string file = _temp.Write("truncated.so", truncated);

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.PatchFile(file));

        Assert.StartsWith(file + ": truncated", error.Message);
        Assert.Equal(truncated, File.ReadAllBytes(file));
    }

    [Fact]
    public void VersionNeedRunningPastItsSectionIsReportedAsTruncated()
    {
        SyntheticElf elf = SyntheticElf.Standard();
        byte[] bytes = elf.Bytes;
        // Shrink .gnu.version_r (section 2) so that its last Elf64_Vernaux no longer fits.
        Span<byte> size = bytes.AsSpan(elf.SectionHeaderOffset + (2 * 64) + 32, 8);
        BinaryPrimitives.WriteUInt64LittleEndian(size, BinaryPrimitives.ReadUInt64LittleEndian(size) - 8);
        string file = _temp.Write("short-section.so", bytes);

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.PatchFile(file));

        Assert.StartsWith(file + ": truncated: Elf64_Vernaux", error.Message);
    }

    [Theory]
    [InlineData(4, 1, "32-bit")]
    [InlineData(5, 2, "big-endian")]
    public void UnsupportedElfKindFailsNamingTheFile(int index, byte value, string problem)
    {
        byte[] bytes = SyntheticElf.Standard().Bytes;
        bytes[index] = value;
        string file = _temp.Write("other.so", bytes);

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionNeedPatcher.PatchFile(file));

        Assert.StartsWith(file + ": " + problem, error.Message);
    }

    [Fact]
    public void RealLibTorchSharpNeedForGlibcxx3432BecomesWeak()
    {
        string? packages = typeof(ElfVersionNeedPatcherTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "NuGetPackageRoot")?.Value;
        string torchSharp = Path.Combine(packages ?? "", "torchsharp");
        string[] libraries = Directory.Exists(torchSharp)
            ? Directory.GetFiles(torchSharp, "libLibTorchSharp.so", SearchOption.AllDirectories)
                .Where(f => f.Contains("linux-x64", StringComparison.Ordinal)).ToArray()
            : [];
        if (libraries.Length == 0)
        {
            return; // TorchSharp is not in this machine's NuGet packages folder: nothing real to check.
        }

        foreach (string library in libraries)
        {
            byte[] original = File.ReadAllBytes(library);
            string copy = _temp.Write(Path.GetFileName(library), original);

            PatchResult result = ElfVersionNeedPatcher.PatchFile(copy);

            Assert.Equal([new VersionNeed("GLIBCXX_3.4.32", "libstdc++.so.6", WasAlreadyWeak: false)], result.Matches);
            byte[] patched = File.ReadAllBytes(copy);
            int[] changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
            Assert.Single(changed);
            Assert.Equal(original[changed[0]] | Weak, patched[changed[0]]);
            Assert.True(ElfVersionNeedPatcher.PatchFile(copy).Matches.Single().WasAlreadyWeak);
            Assert.Equal(original, File.ReadAllBytes(library)); // the NuGet cache copy is never touched
        }
    }

    private static ushort Flags(byte[] image, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(offset));
}
