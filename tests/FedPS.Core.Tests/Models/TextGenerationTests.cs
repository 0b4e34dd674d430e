using FedPS.Core.Data.Text;
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

    [Fact]
    public void Batched_greedy_decoding_writes_what_one_prompt_at_a_time_writes()
    {
        using var model = new GptNet(new GptConfig(Bytes.VocabularySize, 12, 2, 2, 16, "Byte"));
        string[] prompts = ["a", "Translate: house\n", "a prompt longer than the twelve-byte context", "xyz"];

        var batched = TextGeneration.GenerateGreedy(model, Bytes, 12, prompts, 9, batchSize: 3);

        Assert.Equal(prompts.Select(p => TextGeneration.Generate(model, Bytes, 12, p, 9, 0, 0).Completion), batched);
    }

    [Fact]
    public void A_task_score_counts_exact_matches_and_averages_chrF()
    {
        using var model = new GptNet(new GptConfig(Bytes.VocabularySize, 12, 1, 2, 16, "Byte"));
        var prompts = new[] { "p1", "p2" };
        var written = TextGeneration.GenerateGreedy(model, Bytes, 12, prompts, 4);
        var examples = new[] { new TextExample("p1", written[0], "p1"), new TextExample("p2", written[1] + "zz", "p2") };

        var score = TextTaskScore.Measure(model, Bytes, 12, "fixture", TextTaskKind.Translation, "test", examples, 4);

        Assert.Equal(0.5, score.ExactMatch);
        Assert.Equal((1 + TextMetrics.ChrF(written[1], written[1] + "zz")) / 2, score.ChrF, 12);
        Assert.Equal(written[1], score.Predictions[1].Generated);
    }
}
