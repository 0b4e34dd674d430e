using System.Buffers.Binary;
using System.Text;

namespace FedPS.NativePatch;

/// <summary>A version need (in <c>.gnu.version_r</c>) that matched one of the requested version names.</summary>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Library">The needed library that must provide it, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="WasAlreadyWeak">True when VER_FLG_WEAK was already set, so nothing changed.</param>
public sealed record VersionNeed(string Version, string Library, bool WasAlreadyWeak);

/// <summary>What <see cref="ElfVersionNeedPatcher.PatchFile"/> found in one file.</summary>
public sealed record PatchResult(string FilePath, IReadOnlyList<VersionNeed> Matches)
{
    /// <summary>True when at least one version need was made weak (and the file was rewritten).</summary>
    public bool Changed => Matches.Any(m => !m.WasAlreadyWeak);
}

/// <summary>The file is not a well-formed ELF64 little-endian image; the message names the file.</summary>
public sealed class ElfFormatException(string filePath, string problem) : Exception($"{filePath}: {problem}")
{
    public string FilePath { get; } = filePath;
}

/// <summary>
/// Marks chosen symbol-version needs of an ELF64 little-endian shared library weak (VER_FLG_WEAK), so that
/// glibc's loader accepts a needed library that lacks that version. TorchSharp's libLibTorchSharp.so needs
/// GLIBCXX_3.4.32 only as a link-time artefact (no relocation uses it), which older libstdc++ builds lack.
/// </summary>
public static class ElfVersionNeedPatcher
{
    public const string DefaultVersion = "GLIBCXX_3.4.32";
    public const string LibTorchSharpFileName = "libLibTorchSharp.so";

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    private const int ElfHeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int VerneedSize = 16;
    private const int VernauxSize = 16;

    /// <summary>
    /// Marks the given version needs (default <see cref="DefaultVersion"/>) weak in the file at <paramref name="path"/>.
    /// The file is rewritten (temp file + rename, keeping its Unix mode and last write time) only when something changed.
    /// </summary>
    public static PatchResult PatchFile(string path, IEnumerable<string>? versions = null)
    {
        byte[] image = File.ReadAllBytes(path);
        var result = new PatchResult(path, MarkWeak(image, versions ?? [DefaultVersion], path));
        if (result.Changed)
        {
            WriteAtomically(path, image);
        }
        return result;
    }

    /// <summary>Marks the given version needs weak in an in-memory image; <paramref name="fileName"/> is used in errors.</summary>
    public static IReadOnlyList<VersionNeed> MarkWeak(Span<byte> image, IEnumerable<string> versions, string fileName)
    {
        var wanted = versions.ToHashSet(StringComparer.Ordinal);
        var elf = new Elf64(image, fileName);
        var matches = new List<VersionNeed>();
        for (int i = 0; i < elf.SectionCount; i++)
        {
            Section section = elf.SectionHeader(i);
            if (section.Type != ShtGnuVerneed)
            {
                continue;
            }
            if (section.Link >= elf.SectionCount)
            {
                elf.Fail($"section {i} (SHT_GNU_verneed) links to string table section {section.Link}, but there are only {elf.SectionCount} sections");
            }
            Section strings = elf.SectionHeader((int)section.Link);
            Span<byte> needs = elf.Slice(section.Offset, section.Size, $"SHT_GNU_verneed section {i}");

            // Elf64_Verneed: u16 vn_version, u16 vn_cnt, u32 vn_file, u32 vn_aux, u32 vn_next.
            long need = 0;
            while (true)
            {
                Span<byte> vn = elf.Entry(needs, need, VerneedSize, "Elf64_Verneed");
                if (BinaryPrimitives.ReadUInt16LittleEndian(vn) != 1)
                {
                    elf.Fail($"unsupported Elf64_Verneed version {BinaryPrimitives.ReadUInt16LittleEndian(vn)} at section offset {need}");
                }
                ushort auxCount = BinaryPrimitives.ReadUInt16LittleEndian(vn[2..]);
                string library = elf.String(strings, BinaryPrimitives.ReadUInt32LittleEndian(vn[4..]));

                // Elf64_Vernaux: u32 vna_hash, u16 vna_flags, u16 vna_other, u32 vna_name, u32 vna_next.
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(vn[8..]);
                for (int a = 0; a < auxCount; a++)
                {
                    Span<byte> vna = elf.Entry(needs, aux, VernauxSize, "Elf64_Vernaux");
                    string version = elf.String(strings, BinaryPrimitives.ReadUInt32LittleEndian(vna[8..]));
                    if (wanted.Contains(version))
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(vna[4..]);
                        bool wasWeak = (flags & VerFlgWeak) != 0;
                        BinaryPrimitives.WriteUInt16LittleEndian(vna[4..], (ushort)(flags | VerFlgWeak));
                        matches.Add(new VersionNeed(version, library, wasWeak));
                    }
                    uint nextAux = BinaryPrimitives.ReadUInt32LittleEndian(vna[12..]);
                    if (nextAux == 0)
                    {
                        break;
                    }
                    aux += nextAux;
                }

                uint next = BinaryPrimitives.ReadUInt32LittleEndian(vn[12..]);
                if (next == 0)
                {
                    break;
                }
                need += next;
            }
        }
        return matches;
    }

    private static void WriteAtomically(string path, byte[] image)
    {
        string fullPath = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(image);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(fullPath));
            }
            // Keep the timestamp: MSBuild's incremental copy (same size and time = unchanged) then leaves the
            // patched copy in place instead of replacing it with the cache's on every build.
            File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(fullPath));
            // A rename replaces the directory entry, never the old inode: a hard link into the NuGet cache stays intact.
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private readonly record struct Section(uint Type, ulong Offset, ulong Size, uint Link);

    /// <summary>Bounds-checked view of an ELF64 little-endian image.</summary>
    private readonly ref struct Elf64
    {
        private readonly Span<byte> _image;
        private readonly string _fileName;
        private readonly ulong _sectionHeaderOffset;
        private readonly int _sectionHeaderSize;

        public int SectionCount { get; }

        public Elf64(Span<byte> image, string fileName)
        {
            _image = image;
            _fileName = fileName;
            if (image.Length < 4 || !image[..4].SequenceEqual("\u007FELF"u8))
            {
                Fail("not an ELF file (no \\x7FELF magic)");
            }
            if (image.Length < 6)
            {
                Fail($"truncated: {image.Length} bytes, an ELF header needs {ElfHeaderSize}");
            }
            switch (image[4])
            {
                case 2: break;
                case 1: Fail("32-bit ELF (ELFCLASS32) is not supported, only ELF64"); break;
                default: Fail($"unknown ELF class {image[4]}"); break;
            }
            switch (image[5])
            {
                case 1: break;
                case 2: Fail("big-endian ELF (ELFDATA2MSB) is not supported, only little-endian"); break;
                default: Fail($"unknown ELF data encoding {image[5]}"); break;
            }
            if (image.Length < ElfHeaderSize)
            {
                Fail($"truncated: {image.Length} bytes, an ELF64 header needs {ElfHeaderSize}");
            }

            _sectionHeaderOffset = BinaryPrimitives.ReadUInt64LittleEndian(image[0x28..]);
            _sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(image[0x3A..]);
            ulong count = BinaryPrimitives.ReadUInt16LittleEndian(image[0x3C..]);
            if (_sectionHeaderOffset == 0)
            {
                count = 0;
            }
            else if (count == 0)
            {
                // Extended numbering: more than 0xff00 sections, the real count is section 0's sh_size.
                count = BinaryPrimitives.ReadUInt64LittleEndian(Slice(_sectionHeaderOffset, SectionHeaderSize, "section header 0")[32..]);
            }
            if (count > 0 && _sectionHeaderSize < SectionHeaderSize)
            {
                Fail($"section header entry size {_sectionHeaderSize} is smaller than Elf64_Shdr ({SectionHeaderSize})");
            }
            if (count > int.MaxValue)
            {
                Fail($"implausible section count {count}");
            }
            SectionCount = (int)count;
        }

        public Section SectionHeader(int index)
        {
            // Elf64_Shdr: u32 sh_name, u32 sh_type, u64 sh_flags, u64 sh_addr, u64 sh_offset, u64 sh_size, u32 sh_link, ...
            Span<byte> header = Slice(_sectionHeaderOffset + ((ulong)index * (ulong)_sectionHeaderSize), SectionHeaderSize, $"section header {index}");
            return new Section(
                Type: BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                Offset: BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
                Size: BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
                Link: BinaryPrimitives.ReadUInt32LittleEndian(header[40..]));
        }

        public Span<byte> Slice(ulong offset, ulong length, string what)
        {
            ulong fileLength = (ulong)_image.Length;
            if (offset > fileLength || length > fileLength - offset)
            {
                Fail($"truncated: {what} (offset {offset}, {length} bytes) runs past the end of the file ({fileLength} bytes)");
            }
            return _image.Slice((int)offset, (int)length);
        }

        public Span<byte> Entry(Span<byte> section, long offset, int size, string what)
        {
            if (offset < 0 || offset > section.Length - size)
            {
                Fail($"truncated: {what} at offset {offset} runs past the end of its section ({section.Length} bytes)");
            }
            return section.Slice((int)offset, size);
        }

        public string String(Section table, uint offset)
        {
            Span<byte> strings = Slice(table.Offset, table.Size, "string table");
            int end = offset < strings.Length ? strings[(int)offset..].IndexOf((byte)0) : -1;
            if (end < 0)
            {
                Fail($"string at offset {offset} is not inside its string table ({strings.Length} bytes) or not NUL-terminated");
            }
            return Encoding.UTF8.GetString(strings.Slice((int)offset, end));
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Fail(string problem) => throw new ElfFormatException(_fileName, problem);
    }
}
