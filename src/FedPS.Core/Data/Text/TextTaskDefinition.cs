using System.Text.RegularExpressions;

namespace FedPS.Core.Data.Text;

/// <summary>What a text task asks of the model.</summary>
public enum TextTaskKind
{
    Translation,
    Definition,
    Continuation,
    Classification,

    /// <summary>A word with the same meaning (WordNet synsets).</summary>
    Synonym,

    /// <summary>The word a gloss defines (a reverse dictionary).</summary>
    Naming,
}

/// <summary>A text task FedPS can build from installed packages: its name, kind, packages and how to make its examples.</summary>
public sealed partial class TextTaskDefinition(string name, TextTaskKind kind, string description, IReadOnlyList<TextPackage> packages,
    Func<IReadOnlyList<TextExample>> examples)
{
    public string Name { get; } = name;

    public TextTaskKind Kind { get; } = kind;

    public string Description { get; } = description;

    public IReadOnlyList<TextPackage> Packages { get; } = packages;

    /// <summary>Every example the installed files yield, in file order (the split and sampling happen later, seeded).</summary>
    public IReadOnlyList<TextExample> LoadExamples() => examples();

    public static TextTaskDefinition Translation(string language, string code)
    {
        var package = TextPackage.FreeDict("eng-" + code);
        return new($"translate-{code}", TextTaskKind.Translation, $"English → {language} words (FreeDict eng-{code})", [package], () =>
            Dictd(package, $"freedict-eng-{code}")
                .Select(e => (Word: e.Headword, Translation: FirstTranslation(e.Definition)))
                .Where(p => IsPlainWord(p.Word) && p.Translation is { Length: >= 2 and <= 24 })
                .DistinctBy(p => p.Word)
                .Select(p => new TextExample($"Translate to {language}: {p.Word}\n", p.Translation!, $"{p.Word} = {p.Translation}"))
                .ToArray());
    }

    public static TextTaskDefinition WordNetDefinitions(TextPackage wordnet) =>
        new("define-wordnet", TextTaskKind.Definition, "Glosses of English nouns and verbs (WordNet 3.0)", [wordnet], () =>
            DefinitionExamples(new[] { "data.noun", "data.verb" }
                .SelectMany(f => WordNetReader.Read(wordnet.PathOf(f), wordnet.Name))
                .Select(s => (s.Lemma, s.Gloss)), IsPlainWord));

    public static TextTaskDefinition FoldocDefinitions(TextPackage foldoc) =>
        new("define-foldoc", TextTaskKind.Definition, "Computing terms (Free On-line Dictionary of Computing)", [foldoc], () =>
            DefinitionExamples(Dictd(foldoc, "foldoc").Select(e => (e.Headword, FirstSentence(e.Definition))), term => term.Length <= 20));

    /// <summary>
    /// GCIDE (the 1913 Webster and later additions, dictd): headword line "Word \\pron\\, pos. [etymology]", then the
    /// senses; the first sense's first sentence, without "1.", "(a)" or "Defn:", for plain one-word headwords.
    /// </summary>
    public static TextTaskDefinition GcideDefinitions(TextPackage gcide) =>
        new("define-gcide", TextTaskKind.Definition, "English words (GCIDE, the Collaborative International Dictionary of English)", [gcide], () =>
            DefinitionExamples(Dictd(gcide, "gcide").Select(e => (e.Headword.ToLowerInvariant(), GcideSense(e.Definition))), IsPlainWord));

    /// <summary>
    /// The Jargon File (dictd): headword line, a line of pronunciation and part of speech, then the text, often
    /// opening with a bracketed origin; its first sentence.
    /// </summary>
    public static TextTaskDefinition JargonDefinitions(TextPackage jargon) =>
        new("define-jargon", TextTaskKind.Definition, "Hacker slang (the Jargon File)", [jargon], () =>
            DefinitionExamples(Dictd(jargon, "jargon").Select(e => (e.Headword, JargonSense(e.Definition))), term => term.Length is >= 2 and <= 20));

    /// <summary>Another one-word member of a noun or verb synset of WordNet.</summary>
    public static TextTaskDefinition WordNetSynonyms(TextPackage wordnet) =>
        new("synonym-wordnet", TextTaskKind.Synonym, "A synonym of an English noun or verb (WordNet 3.0 synsets)", [wordnet], () =>
            new[] { "data.noun", "data.verb" }
                .SelectMany(f => WordNetReader.Read(wordnet.PathOf(f), wordnet.Name))
                .Select(s => s.Words.Where(IsPlainWord).Distinct().ToArray())
                .Where(words => words.Length >= 2)
                .DistinctBy(words => words[0])
                .Select(words => new TextExample($"Synonym of: {words[0]}\n", words[1], $"{words[0]} ~ {words[1]}"))
                .ToArray());

    /// <summary>The adjective or adverb a WordNet gloss defines (a reverse dictionary).</summary>
    public static TextTaskDefinition WordNetNaming(TextPackage wordnet) =>
        new("name-wordnet", TextTaskKind.Naming, "The English adjective or adverb a gloss defines (WordNet 3.0)", [wordnet], () =>
            new[] { "data.adj", "data.adv" }
                .SelectMany(f => WordNetReader.Read(wordnet.PathOf(f), wordnet.Name))
                .Where(s => IsPlainWord(s.Lemma) && s.Gloss.Length is >= 8 and <= 60)
                .DistinctBy(s => s.Lemma)
                .DistinctBy(s => s.Gloss)
                .Select(s => new TextExample($"Word for: {s.Gloss}\n", s.Lemma, $"{s.Lemma}: {s.Gloss}"))
                .ToArray());

    /// <summary>
    /// The part of speech of a word that WordNet lists under one part of speech only (noun, verb, adjective, adverb;
    /// satellites count as adjectives), the same number of words per class.
    /// </summary>
    public static TextTaskDefinition PartOfSpeech(TextPackage wordnet) =>
        new("classify-pos", TextTaskKind.Classification, "The part of speech of an English word (WordNet 3.0)", [wordnet], () =>
        {
            var words = new[] { ("data.noun", "noun"), ("data.verb", "verb"), ("data.adj", "adjective"), ("data.adv", "adverb") }
                .SelectMany(f => WordNetReader.Read(wordnet.PathOf(f.Item1), wordnet.Name).SelectMany(s => s.Words).Select(w => (Word: w, Class: f.Item2)))
                .Where(p => IsPlainWord(p.Word))
                .Distinct()
                .GroupBy(p => p.Word)
                .Where(g => g.Count() == 1)
                .Select(g => g.First())
                .ToArray();
            return Balanced(words.GroupBy(p => p.Class).Select(g => g.ToArray()).ToArray())
                .Select(p => new TextExample($"Part of speech: {p.Word}\n", p.Class, p.Word))
                .ToArray();
        });

    /// <summary>Which of <paramref name="categories"/> a fortune is from, the same number of quotes per category.</summary>
    public static TextTaskDefinition Topic(TextPackage fortunes, IReadOnlyList<string> categories) =>
        new("classify-topic", TextTaskKind.Classification, $"Which fortune category a quote is from ({string.Join(", ", categories)}), balanced",
            [fortunes], () =>
                Balanced(categories.Select(c => Quotes(fortunes, c).Select(q => (Category: c, Quote: q)).ToArray()).ToArray())
                    .Select(p => new TextExample($"Topic of: {Truncate(p.Quote, 40)}\n", p.Category, p.Quote))
                    .ToArray());

    public static TextTaskDefinition Continuation(TextPackage fortunes, string category) =>
        new($"continue-{category}", TextTaskKind.Continuation, $"Continue a '{category}' fortune", [fortunes], () =>
            Quotes(fortunes, category)
                .Select(q => (Quote: q, Cut: CutPoint(q)))
                .Select(p => new TextExample($"Continue: {p.Quote[..p.Cut]}", p.Quote[p.Cut..], p.Quote))
                .ToArray());

    public static TextTaskDefinition Classification(TextPackage fortunes, IReadOnlyList<string> categories) =>
        new("classify-fortunes", TextTaskKind.Classification, $"Which fortune category a quote is from ({string.Join(", ", categories)})",
            [fortunes], () =>
            {
                // Interleave the categories so any prefix of the examples is balanced.
                var byCategory = categories.Select(c => Quotes(fortunes, c).Select(q => (Category: c, Quote: q)).ToArray()).ToArray();
                return Enumerable.Range(0, byCategory.Max(q => q.Length))
                    .SelectMany(i => byCategory.Where(q => i < q.Length).Select(q => q[i]))
                    .Select(p => new TextExample($"Topic of: {Truncate(p.Quote, 40)}\n", p.Category, p.Quote))
                    .ToArray();
            });

    private static IEnumerable<string> Quotes(TextPackage fortunes, string category) =>
        FortuneReader.Read(fortunes.PathOf(category), fortunes.Name)
            .Select(q => Whitespace().Replace(q, " ").Trim())
            .Where(q => q.Length is >= 30 and <= 90);

    // Cut a quote at the word boundary nearest 40% of its length: the prompt gives its start, the response the rest.
    private static int CutPoint(string quote)
    {
        var target = (int)(quote.Length * 0.4);
        var space = quote.LastIndexOf(' ', target);
        return space > 0 ? space : target;
    }

    // "Define: term" → gloss: one example per term whose gloss has 8 to 60 characters.
    private static TextExample[] DefinitionExamples(IEnumerable<(string Term, string Gloss)> entries, Func<string, bool> keepTerm) =>
        entries.Where(p => keepTerm(p.Term) && p.Gloss.Length is >= 8 and <= 60)
            .DistinctBy(p => p.Term)
            .Select(p => new TextExample($"Define: {p.Term}\n", p.Gloss, $"{p.Term}: {p.Gloss}"))
            .ToArray();

    private static IReadOnlyList<DictdEntry> Dictd(TextPackage package, string dictionary) =>
        DictdReader.Read(package.PathOf(dictionary + ".index"), package.PathOf(dictionary + ".dict.dz"), package.Name);

    // One item of each class in turn, as many rounds as the smallest class has items: any prefix is balanced, and so is the whole.
    private static IEnumerable<T> Balanced<T>(IReadOnlyList<IReadOnlyList<T>> classes) =>
        Enumerable.Range(0, classes.Count == 0 ? 0 : classes.Min(c => c.Count)).SelectMany(i => classes.Select(c => c[i]));

    // GCIDE: skip the headword line and an etymology bracket it opens, then the first sense's first sentence (empty when
    // it still holds markup).
    private static string GcideSense(string definition)
    {
        var lines = definition.Split('\n');
        var depth = lines[0].Count(c => c == '[') - lines[0].Count(c => c == ']');
        var body = new List<string>();
        foreach (var line in lines.Skip(1).Select(l => l.Trim()))
        {
            if (depth > 0)
            {
                depth += line.Count(c => c == '[') - line.Count(c => c == ']');
                continue;
            }

            if (line.Length == 0 || line.StartsWith('['))
            {
                if (body.Count > 0)
                {
                    break;
                }

                continue;
            }

            body.Add(line);
        }

        var text = FirstClause(SenseMarker().Replace(string.Join(' ', body), string.Empty).Replace("{", string.Empty, StringComparison.Ordinal)
            .Replace("}", string.Empty, StringComparison.Ordinal));
        return text.Any(c => c is '\\' or '[' or ']' or '"') ? string.Empty : text; // markup the sense did not close
    }

    // Jargon File: skip the headword and its pronunciation/part-of-speech line; the first paragraph that is more than a
    // bracketed origin, without that bracket or a sense number.
    private static string JargonSense(string definition)
    {
        var lines = definition.Split('\n').Skip(1).Select(l => l.Trim()).SkipWhile(l => l.Length == 0).ToList();
        if (lines.Count > 0 && (lines[0].StartsWith('/') || PartOfSpeechLine().IsMatch(lines[0])))
        {
            lines.RemoveAt(0);
        }

        var paragraph = string.Join('\n', lines).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Whitespace().Replace(LeadingBracket().Replace(p.Trim(), string.Empty), " ").Trim())
            .FirstOrDefault(p => p.Length > 0) ?? string.Empty;
        paragraph = SenseMarker().Replace(paragraph, string.Empty).Replace("{", string.Empty, StringComparison.Ordinal)
            .Replace("}", string.Empty, StringComparison.Ordinal).Replace('\u201c', '"').Replace('\u201d', '"');
        return FirstClause(paragraph);
    }

    // Up to the first ". " or "; " (or the end), without a trailing period.
    private static string FirstClause(string text)
    {
        var end = ClauseEnd().Match(text);
        return (end.Success ? text[..end.Index] : text).Trim().TrimEnd('.');
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    private static bool IsPlainWord(string word) => word.Length is >= 2 and <= 14 && word.All(char.IsAsciiLetterLower);

    // FreeDict: the first line is the headword (and pronunciation); the first alternative of the next line is the
    // translation, without grammar tags like <neut>.
    private static string? FirstTranslation(string definition)
    {
        var line = definition.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).FirstOrDefault();
        if (line is null)
        {
            return null;
        }

        var first = Tag().Replace(line.Split([',', ';'])[0], string.Empty).Trim();
        return first.Length == 0 || first.Any(c => char.IsDigit(c) || c is '(' or ')' or '[' or '{') ? null : first;
    }

    // FOLDOC: after the headword line, the text starts with "<domain>" tags and uses {links}; keep its first sentence.
    private static string FirstSentence(string definition)
    {
        var body = string.Join(' ', definition.Split('\n').Skip(1));
        body = Whitespace().Replace(Tag().Replace(body, string.Empty).Replace("{", string.Empty, StringComparison.Ordinal)
            .Replace("}", string.Empty, StringComparison.Ordinal), " ").Trim();
        var end = body.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? body[..end] : body.TrimEnd('.');
    }

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(\d+\.\s*)?(\([a-z]\)\s*)?(Defn:\s*)?")]
    private static partial Regex SenseMarker();

    [GeneratedRegex(@"^[a-z]+\.(,?\s*[a-z]+\.)*$")]
    private static partial Regex PartOfSpeechLine();

    [GeneratedRegex(@"^\[[^\]]*\]\s*")]
    private static partial Regex LeadingBracket();

    [GeneratedRegex(@"[.;](\s|$)")]
    private static partial Regex ClauseEnd();
}
