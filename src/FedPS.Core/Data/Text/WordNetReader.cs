namespace FedPS.Core.Data.Text;

/// <summary>A WordNet synset: its first lemma and its gloss.</summary>
public sealed record WordNetSynset(string Lemma, string Gloss)
{
    /// <summary>Every word of the synset in file order (the first is <see cref="Lemma"/>), underscores as spaces.</summary>
    public IReadOnlyList<string> Words { get; init; } = [Lemma];

    /// <summary>The synset type: n (noun), v (verb), a (adjective), s (adjective satellite) or r (adverb).</summary>
    public char Type { get; init; }

    public bool Equals(WordNetSynset? other) =>
        other is not null && Lemma == other.Lemma && Gloss == other.Gloss && Type == other.Type && Words.SequenceEqual(other.Words);

    public override int GetHashCode() => HashCode.Combine(Lemma, Gloss, Type);
}

/// <summary>
/// Reads WordNet 3.0 data files (<c>data.noun</c>, <c>data.verb</c>, ...; format in wndb(5WN)): license lines
/// start with two spaces; each synset line is "offset lex_filenum ss_type w_cnt word lex_id ... | gloss", with
/// w_cnt in hexadecimal and multi-word lemmas joined by underscores. The gloss is kept up to its first example
/// (examples are quoted after a semicolon). The synset's words are the w_cnt pairs "word lex_id" after w_cnt.
/// </summary>
public static class WordNetReader
{
    public static IReadOnlyList<WordNetSynset> Read(string path, string package)
    {
        var synsets = new List<WordNetSynset>();
        var lineNumber = 0;
        foreach (var line in TextFiles.ReadLines(path, package))
        {
            lineNumber++;
            if (line.StartsWith("  ", StringComparison.Ordinal) || line.Length == 0)
            {
                continue;
            }

            var bar = line.IndexOf(" | ", StringComparison.Ordinal);
            var fields = line.Split(' ', 6);
            if (bar < 0 || fields.Length < 6 || !int.TryParse(fields[3], System.Globalization.NumberStyles.HexNumber, null, out var words) || words < 1)
            {
                throw TextFiles.Invalid(path, package, $"line {lineNumber} is not a WordNet synset line (offset lex_filenum ss_type w_cnt word ... | gloss)");
            }

            var gloss = line[(bar + 3)..].Trim();
            var example = gloss.IndexOf("; \"", StringComparison.Ordinal);
            if (example >= 0)
            {
                gloss = gloss[..example];
            }

            var header = line[..bar].Split(' ');
            if (header.Length < 4 + (2 * words))
            {
                throw TextFiles.Invalid(path, package, $"line {lineNumber} announces {words} words but has fewer");
            }

            var synonyms = Enumerable.Range(0, words).Select(w => header[4 + (2 * w)].Replace('_', ' ')).ToArray();
            synsets.Add(new WordNetSynset(synonyms[0], gloss.Trim()) { Words = synonyms, Type = fields[2].Length == 1 ? fields[2][0] : '?' });
        }

        return synsets;
    }
}
