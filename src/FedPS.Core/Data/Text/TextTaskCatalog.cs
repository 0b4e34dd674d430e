namespace FedPS.Core.Data.Text;

/// <summary>The text tasks and the Debian packages they read (see design.md, "Data").</summary>
public static class TextTaskCatalog
{
    public static readonly TextPackage Fortunes = new("fortunes", "fortune(6) quotes by category",
        PackageSource.Debian("fortunes", "usr/share/games/fortunes"), ["computers", "science", "startrek", "food", "medicine", "politics", "sports", "people", "miscellaneous", "work", "art", "wisdom"]);

    public static readonly TextPackage FortunesMin = new("fortunes-min", "fortune(6) quotes, minimal set",
        PackageSource.Debian("fortunes-min", "usr/share/games/fortunes"), ["literature", "riddles", "fortunes"]);

    public static readonly TextPackage WordNet = new("wordnet-base", "WordNet 3.0 database",
        PackageSource.Debian("wordnet-base", "usr/share/wordnet"), ["data.noun", "data.verb", "data.adj", "data.adv"]);

    public static readonly TextPackage Foldoc = new("dict-foldoc", "Free On-line Dictionary of Computing (dictd)",
        PackageSource.Debian("dict-foldoc", "usr/share/dictd"), ["foldoc.index", "foldoc.dict.dz"]);

    public static readonly TextPackage Gcide = new("dict-gcide", "Collaborative International Dictionary of English (dictd)",
        PackageSource.Debian("dict-gcide", "usr/share/dictd"), ["gcide.index", "gcide.dict.dz"]);

    public static readonly TextPackage Jargon = new("dict-jargon", "The Jargon File (dictd)",
        PackageSource.Debian("dict-jargon", "usr/share/dictd"), ["jargon.index", "jargon.dict.dz"]);

    public static IReadOnlyList<TextTaskDefinition> All { get; } =
    [
        TextTaskDefinition.Translation("German", "deu"),
        TextTaskDefinition.Translation("French", "fra"),
        TextTaskDefinition.Translation("Spanish", "spa"),
        TextTaskDefinition.WordNetDefinitions(WordNet),
        TextTaskDefinition.FoldocDefinitions(Foldoc),
        TextTaskDefinition.Continuation(Fortunes, "computers"),
        TextTaskDefinition.Continuation(Fortunes, "science"),
        TextTaskDefinition.Continuation(FortunesMin, "literature"),
        TextTaskDefinition.Continuation(Fortunes, "startrek"),
        TextTaskDefinition.Classification(Fortunes, ["food", "medicine", "politics", "sports"]),
        TextTaskDefinition.Translation("Italian", "ita"),
        TextTaskDefinition.Translation("Dutch", "nld"),
        TextTaskDefinition.GcideDefinitions(Gcide),
        TextTaskDefinition.JargonDefinitions(Jargon),
        TextTaskDefinition.Continuation(Fortunes, "people"),
        TextTaskDefinition.Continuation(Fortunes, "miscellaneous"),
        TextTaskDefinition.Topic(Fortunes, ["work", "art", "wisdom", "politics"]),
        TextTaskDefinition.PartOfSpeech(WordNet),
        TextTaskDefinition.WordNetSynonyms(WordNet),
        TextTaskDefinition.WordNetNaming(WordNet),
    ];

    private static readonly Catalog<TextTaskDefinition> ByName = new("text task", All.Select(t => (t.Name, t)));

    public static IReadOnlyList<string> Names => ByName.Names;

    /// <summary>Every package a text task reads, once each.</summary>
    public static IReadOnlyList<TextPackage> Packages { get; } = All.SelectMany(t => t.Packages).DistinctBy(p => p.Name).ToArray();

    public static TextTaskDefinition Get(string name) => ByName.Get(name);
}
