using FedPS.Core.Tokenizers;

namespace FedPS.Core.Tests.Tokenizers;

public sealed class TokenizerTests
{
    [Theory]
    [InlineData("Byte")]
    [InlineData("Gpt2")]
    public void Text_round_trips_through_the_tokenizer(string name)
    {
        var tokenizer = TokenizerCatalog.Get(name);
        const string text = "Translate to German: house\nHaus — Größe 42!";

        var ids = tokenizer.Encode(text);

        Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));
        Assert.Equal(text, tokenizer.Decode(ids.Append(tokenizer.EndOfText)));
    }

    [Fact]
    public void Gpt2_bpe_uses_gpt2s_vocabulary()
    {
        var tokenizer = TokenizerCatalog.Get("gpt2");

        Assert.Equal([15496, 995], tokenizer.Encode("Hello world")); // GPT-2's ids for "Hello", " world"
        Assert.Equal(50257, tokenizer.VocabularySize);
    }
}
