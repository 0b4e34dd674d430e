namespace FedPS.Core.Data.Text;

/// <summary>A WordNet synset: its first lemma and its gloss.</summary>
public sealed record WordNetSynset(string Lemma, string Gloss);

/// <summary>
/// Reads WordNet 3.0 data files (<c>data.noun</c>, <c>data.verb</c>, ...; format in wndb(5WN)): license lines
/// start with two spaces; each synset line is "offset lex_filenum ss_type w_cnt word lex_id ... | gloss", with
/// w_cnt in hexadecimal and multi-word lemmas joined by underscores. The gloss is kept up to its first example
/// (examples are quoted after a semicolon).
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

            synsets.Add(new WordNetSynset(fields[4].Replace('_', ' '), gloss.Trim()));
        }

        return synsets;
    }
}
