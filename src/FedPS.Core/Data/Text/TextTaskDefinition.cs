using System.Text.RegularExpressions;

namespace FedPS.Core.Data.Text;

/// <summary>What a text task asks of the model.</summary>
public enum TextTaskKind
{
    Translation,
    Definition,
    Continuation,
    Classification,
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
            DictdReader.Read(package.PathOf($"freedict-eng-{code}.index"), package.PathOf($"freedict-eng-{code}.dict.dz"), package.Name)
                .Select(e => (Word: e.Headword, Translation: FirstTranslation(e.Definition)))
                .Where(p => IsPlainWord(p.Word) && p.Translation is { Length: >= 2 and <= 24 })
                .DistinctBy(p => p.Word)
                .Select(p => new TextExample($"Translate to {language}: {p.Word}\n", p.Translation!, $"{p.Word} = {p.Translation}"))
                .ToArray());
    }

    public static TextTaskDefinition WordNetDefinitions(TextPackage wordnet) =>
        new("define-wordnet", TextTaskKind.Definition, "Glosses of English nouns and verbs (WordNet 3.0)", [wordnet], () =>
            new[] { "data.noun", "data.verb" }
                .SelectMany(f => WordNetReader.Read(wordnet.PathOf(f), wordnet.Name))
                .Where(s => IsPlainWord(s.Lemma) && s.Gloss.Length is >= 8 and <= 60)
                .DistinctBy(s => s.Lemma)
                .Select(s => new TextExample($"Define: {s.Lemma}\n", s.Gloss, $"{s.Lemma}: {s.Gloss}"))
                .ToArray());

    public static TextTaskDefinition FoldocDefinitions(TextPackage foldoc) =>
        new("define-foldoc", TextTaskKind.Definition, "Computing terms (Free On-line Dictionary of Computing)", [foldoc], () =>
            DictdReader.Read(foldoc.PathOf("foldoc.index"), foldoc.PathOf("foldoc.dict.dz"), foldoc.Name)
                .Select(e => (Term: e.Headword, Gloss: FirstSentence(e.Definition)))
                .Where(p => p.Term.Length <= 20 && p.Gloss.Length is >= 8 and <= 60)
                .DistinctBy(p => p.Term)
                .Select(p => new TextExample($"Define: {p.Term}\n", p.Gloss, $"{p.Term}: {p.Gloss}"))
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
}
