using FedPS.Core.Models;
using FedPS.Core.Tokenizers;

namespace FedPS.Core.Tests.Models;

public sealed class TextGenerationTests
{
    private static readonly ByteTokenizer Bytes = new();

    [Fact]
    public void Sampling_is_reproducible_by_seed_and_greedy_decoding_ignores_it()
    {
        using var model = new GptNet(new GptConfig(Bytes.VocabularySize, 16, 1, 2, 16, "Byte"));

        string Sample(double temperature, int seed) => TextGeneration.Generate(model, Bytes, 16, "abc", 24, temperature, seed).Completion;

        Assert.Equal(Sample(1.5, 7), Sample(1.5, 7));
        Assert.NotEqual(Sample(1.5, 7), Sample(1.5, 8));
        Assert.Equal(Sample(0, 1), Sample(0, 2));
    }

    [Fact]
    public void Generation_slides_its_window_past_the_context_and_keeps_the_token_budget()
    {
        using var model = new GptNet(new GptConfig(Bytes.VocabularySize, 8, 1, 2, 16, "Byte"));

        var text = TextGeneration.Generate(model, Bytes, 8, "a long prompt beyond the context", 5, 1.0, 3);

        Assert.InRange(text.Tokens, 0, 5);
        Assert.Throws<FedPSException>(() => TextGeneration.Generate(model, Bytes, 8, "x", 0, 0, 0));
    }
}
