namespace FedPS.Core.Models.Tokenizers;

/// <summary>The tokenizers FedPS offers, by name.</summary>
public static class TokenizerCatalog
{
    private static readonly ITextTokenizer[] All = [new ByteTokenizer(), new Gpt2Tokenizer()];

    public static IReadOnlyList<string> Names { get; } = All.Select(t => t.Name).ToArray();

    public static ITextTokenizer Get(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Unknown tokenizer '{name}'. Valid tokenizers: {string.Join(", ", Names)}.", name);
}
