using System.Text;

namespace FedPS.Core.Tokenizers;

/// <summary>
/// UTF-8 bytes as tokens (ids 0..255) plus one special token, end-of-text (256): a vocabulary small enough for
/// CPU-sized models, and every text is representable.
/// </summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    public const int ByteCount = 256;

    public string Name => "Byte";

    public int VocabularySize => ByteCount + 1;

    public int EndOfText => ByteCount;

    public IReadOnlyList<int> Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    public string Decode(IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.Where(id => id is >= 0 and < ByteCount).Select(id => (byte)id).ToArray());
}
