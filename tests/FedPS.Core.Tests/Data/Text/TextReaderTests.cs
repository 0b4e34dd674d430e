using System.IO.Compression;
using System.Text;
using FedPS.Core.Data.Text;

namespace FedPS.Core.Tests.Data.Text;

/// <summary>Small files written in the packages' real formats.</summary>
public sealed class TextReaderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-text-").FullName;

    private string PathOf(string name) => Path.Combine(folder, name);

    [Fact]
    public void Dictd_index_offsets_in_base64_point_into_the_gzipped_dictionary()
    {
        TextFixtures.WriteDictd(folder, "freedict-eng-deu", [("00-database-info", "header\n"), ("house", "house /haus/\nHaus <n>, Gebäude\n"), ("cat", "cat\nKatze\n")]);

        var entries = DictdReader.Read(PathOf("freedict-eng-deu.index"), PathOf("freedict-eng-deu.dict.dz"), "dict-freedict-eng-deu");

        Assert.Equal(["house", "cat"], entries.Select(e => e.Headword));
        Assert.Equal("house /haus/\nHaus <n>, Gebäude\n", entries[0].Definition);
        Assert.Equal(64 + 2, DictdReader.Decode("BC"));
    }

    [Fact]
    public void Dictd_errors_name_the_file_and_the_package()
    {
        File.WriteAllText(PathOf("x.index"), "house\tB\n");
        using (var gz = new GZipStream(File.Create(PathOf("x.dict.dz")), CompressionLevel.Fastest))
        {
            gz.Write("abc"u8);
        }

        var bad = Assert.Throws<FedPSException>(() => DictdReader.Read(PathOf("x.index"), PathOf("x.dict.dz"), "dict-x"));
        var missing = Assert.Throws<FedPSException>(() => DictdReader.Read(PathOf("none.index"), PathOf("none.dict.dz"), "dict-x"));

        Assert.Contains("x.index", bad.Message);
        Assert.Contains("dict-x", bad.Message);
        Assert.Equal(FedErrorKind.NotInstalled, missing.Kind);
        Assert.Contains("dict-x", missing.Message);
    }

    [Fact]
    public void WordNet_data_lines_yield_lemma_and_gloss_without_examples_or_license()
    {
        File.WriteAllText(PathOf("data.noun"),
            "  1 This software and database is being provided to you, the LICENSEE, by  \n" +
            "00005930 03 n 01 dwarf 0 001 @ 00004475 n 0000 | a plant or animal that is atypically small  \n" +
            "00004227 29 v 03 exhale 0 expire 0 breathe_out 0 008 @ 00001740 v 0000 | expel air; \"Exhale when you lift the weight\"  \n");

        var synsets = WordNetReader.Read(PathOf("data.noun"), "wordnet-base");

        Assert.Equal([new WordNetSynset("dwarf", "a plant or animal that is atypically small") { Type = 'n' },
            new WordNetSynset("exhale", "expel air") { Type = 'v', Words = ["exhale", "expire", "breathe out"] }], synsets);
        Assert.Equal(["exhale", "expire", "breathe out"], synsets[1].Words);
        Assert.NotEqual(synsets[0], synsets[0] with { Words = ["dwarf", "elf"] });
    }

    [Fact]
    public void Fortune_entries_split_on_percent_lines_and_lose_backspace_overstrikes()
    {
        File.WriteAllText(PathOf("science"), "First quote,\n\tover two lines.\n%\nB\bBo\bol\bld\bd and _\bu_\bn_\bd_\be_\br.\n%\n");

        var quotes = FortuneReader.Read(PathOf("science"), "fortunes");

        Assert.Equal(["First quote,\n\tover two lines.", "Bold and under."], quotes);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}

/// <summary>Writers of the packages' real formats, shared by reader and end-to-end tests.</summary>
internal static class TextFixtures
{
    private const string Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    public static void WriteDictd(string folder, string name, IReadOnlyList<(string Headword, string Definition)> entries)
    {
        var body = new MemoryStream();
        var index = new StringBuilder();
        foreach (var (headword, definition) in entries)
        {
            var bytes = Encoding.UTF8.GetBytes(definition);
            index.Append(headword).Append('\t').Append(Base64(body.Length)).Append('\t').Append(Base64(bytes.Length)).Append('\n');
            body.Write(bytes);
        }

        File.WriteAllText(Path.Combine(folder, name + ".index"), index.ToString());
        using var gz = new GZipStream(File.Create(Path.Combine(folder, name + ".dict.dz")), CompressionLevel.Fastest);
        gz.Write(body.ToArray());
    }

    private static string Base64(long value)
    {
        var digits = new StringBuilder();
        do
        {
            digits.Insert(0, Digits[(int)(value % 64)]);
            value /= 64;
        }
        while (value > 0);
        return digits.ToString();
    }
}
