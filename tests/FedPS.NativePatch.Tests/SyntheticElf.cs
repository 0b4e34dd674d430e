using System.Buffers.Binary;
using System.Text;

namespace FedPS.NativePatch.Tests;

/// <summary>
/// A minimal ELF64 little-endian shared object built in memory: a .dynstr, a .gnu.version_r with the given
/// version needs, and a .shstrtab. <see cref="FlagOffsets"/> gives the file offset of each vna_flags field.
/// </summary>
internal sealed record SyntheticElf(byte[] Bytes, IReadOnlyDictionary<string, int> FlagOffsets, int SectionHeaderOffset)
{
    /// <summary>libc.so.6 needing GLIBC_2.2.5, and libstdc++.so.6 needing GLIBCXX_3.4.30 and GLIBCXX_3.4.32.</summary>
    public static SyntheticElf Standard() => Build(
        ("libc.so.6", ["GLIBC_2.2.5"]),
        ("libstdc++.so.6", ["GLIBCXX_3.4.30", "GLIBCXX_3.4.32"]));

    public static SyntheticElf Build(params (string Library, string[] Versions)[] needs)
    {
        var dynstr = new StringTable();
        foreach (var (library, versions) in needs)
        {
            dynstr.Add(library);
            Array.ForEach(versions, v => dynstr.Add(v));
        }
        var shstrtab = new StringTable();

        int verneedSize = needs.Sum(n => 16 + (16 * n.Versions.Length));
        const int dynstrOffset = 64;
        int verneedOffset = Align8(dynstrOffset + dynstr.Length);
        int shstrtabOffset = verneedOffset + verneedSize;
        uint[] names = [shstrtab.Add(".dynstr"), shstrtab.Add(".gnu.version_r"), shstrtab.Add(".shstrtab")];
        int sectionHeaderOffset = Align8(shstrtabOffset + shstrtab.Length);
        var bytes = new byte[sectionHeaderOffset + (4 * 64)];
        Span<byte> image = bytes;

        // Elf64_Ehdr
        "\u007FELF"u8.CopyTo(image);
        image[4] = 2; // ELFCLASS64
        image[5] = 1; // ELFDATA2LSB
        image[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(image[16..], 3);  // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(image[18..], 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(image[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(image[40..], (ulong)sectionHeaderOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(image[52..], 64); // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(image[54..], 56); // e_phentsize (no program headers)
        BinaryPrimitives.WriteUInt16LittleEndian(image[58..], 64); // e_shentsize
        BinaryPrimitives.WriteUInt16LittleEndian(image[60..], 4);  // e_shnum
        BinaryPrimitives.WriteUInt16LittleEndian(image[62..], 3);  // e_shstrndx

        dynstr.CopyTo(image[dynstrOffset..]); // complete: every name below was added above
        shstrtab.CopyTo(image[shstrtabOffset..]);

        // Elf64_Verneed entries, each followed by its Elf64_Vernaux entries.
        var flagOffsets = new Dictionary<string, int>();
        int position = verneedOffset;
        ushort versionIndex = 2;
        for (int n = 0; n < needs.Length; n++)
        {
            var (library, versions) = needs[n];
            int size = 16 + (16 * versions.Length);
            Span<byte> vn = image[position..];
            BinaryPrimitives.WriteUInt16LittleEndian(vn, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(vn[2..], (ushort)versions.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(vn[4..], dynstr.Add(library));
            BinaryPrimitives.WriteUInt32LittleEndian(vn[8..], 16);
            BinaryPrimitives.WriteUInt32LittleEndian(vn[12..], n == needs.Length - 1 ? 0u : (uint)size);
            for (int a = 0; a < versions.Length; a++)
            {
                int auxOffset = position + 16 + (16 * a);
                Span<byte> vna = image[auxOffset..];
                BinaryPrimitives.WriteUInt32LittleEndian(vna, ElfHash(versions[a]));
                BinaryPrimitives.WriteUInt16LittleEndian(vna[6..], versionIndex++);
                BinaryPrimitives.WriteUInt32LittleEndian(vna[8..], dynstr.Add(versions[a]));
                BinaryPrimitives.WriteUInt32LittleEndian(vna[12..], a == versions.Length - 1 ? 0u : 16u);
                flagOffsets[versions[a]] = auxOffset + 4;
            }
            position += size;
        }

        // Elf64_Shdr: [0] null, [1] .dynstr, [2] .gnu.version_r (linked to 1), [3] .shstrtab
        WriteSectionHeader(image, sectionHeaderOffset + 64, names[0], type: 3, dynstrOffset, dynstr.Length, link: 0, info: 0);
        WriteSectionHeader(image, sectionHeaderOffset + 128, names[1], type: 0x6ffffffe, verneedOffset, verneedSize, link: 1, info: (uint)needs.Length);
        WriteSectionHeader(image, sectionHeaderOffset + 192, names[2], type: 3, shstrtabOffset, shstrtab.Length, link: 0, info: 0);
        return new SyntheticElf(bytes, flagOffsets, sectionHeaderOffset);
    }

    private static void WriteSectionHeader(Span<byte> image, int at, uint name, uint type, int offset, int size, uint link, uint info)
    {
        Span<byte> sh = image[at..];
        BinaryPrimitives.WriteUInt32LittleEndian(sh, name);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[4..], type);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[24..], (ulong)offset);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[32..], (ulong)size);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[40..], link);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[44..], info);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[48..], 1);
    }

    private static int Align8(int value) => (value + 7) & ~7;

    private static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (byte c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            uint g = h & 0xf0000000;
            h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }

    private sealed class StringTable
    {
        private readonly List<byte> _bytes = [0];
        private readonly Dictionary<string, uint> _offsets = new() { [""] = 0 };

        public int Length => _bytes.Count;

        public uint Add(string value)
        {
            if (!_offsets.TryGetValue(value, out uint offset))
            {
                offset = (uint)_bytes.Count;
                _bytes.AddRange(Encoding.ASCII.GetBytes(value));
                _bytes.Add(0);
                _offsets[value] = offset;
            }
            return offset;
        }

        public void CopyTo(Span<byte> destination) => _bytes.ToArray().CopyTo(destination);
    }
}
