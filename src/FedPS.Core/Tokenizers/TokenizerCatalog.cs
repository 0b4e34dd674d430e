namespace FedPS.Core.Tokenizers;

/// <summary>The tokenizers FedPS offers, by name.</summary>
public static class TokenizerCatalog
{
    private static readonly Catalog<ITextTokenizer> ByName =
        new("tokenizer", new ITextTokenizer[] { new ByteTokenizer(), new Gpt2Tokenizer() }.Select(t => (t.Name, t)));

    public static IReadOnlyList<string> Names => ByName.Names;

    public static ITextTokenizer Get(string name) => ByName.Get(name);
}
