namespace FedPS.Core.Models;

/// <summary>
/// The size of a GPT-style language model (Radford et al. 2019): vocabulary, context length, layers, heads and
/// embedding width, plus the tokenizer whose ids it reads. GPT-2 small is (50257, 1024, 12, 12, 768, "Gpt2").
/// </summary>
public sealed record GptConfig(int VocabularySize, int ContextLength, int Layers, int Heads, int Embedding, string Tokenizer)
{
    public GptConfig Validated()
    {
        Require(VocabularySize >= 2, "VocabularySize", VocabularySize, "at least 2");
        Require(ContextLength >= 1, "ContextLength", ContextLength, "at least 1");
        Require(Layers >= 1, "Layers", Layers, "at least 1");
        Require(Heads >= 1, "Heads", Heads, "at least 1");
        Require(Embedding >= 1 && Embedding % Heads == 0, "Embedding", Embedding, $"a positive multiple of Heads ({Heads})");
        return this;
    }

    public override string ToString() =>
        $"{Layers} layers × {Heads} heads × {Embedding}, context {ContextLength}, vocabulary {VocabularySize} ({Tokenizer})";

    private static void Require(bool ok, string name, int value, string expected)
    {
        if (!ok)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"{name} must be {expected} (got {value}).", value);
        }
    }
}
