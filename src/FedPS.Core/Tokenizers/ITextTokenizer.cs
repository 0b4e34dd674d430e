namespace FedPS.Core.Tokenizers;

/// <summary>Turns text into token ids a language model reads, and back.</summary>
public interface ITextTokenizer
{
    string Name { get; }

    int VocabularySize { get; }

    /// <summary>The id that ends a text (GPT-2's &lt;|endoftext|&gt;); a response is followed by it.</summary>
    int EndOfText { get; }

    IReadOnlyList<int> Encode(string text);

    /// <summary>The text of <paramref name="ids"/>; special tokens are dropped.</summary>
    string Decode(IEnumerable<int> ids);
}
