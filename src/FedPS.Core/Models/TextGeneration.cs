using FedPS.Core.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>A prompt and what a model wrote after it.</summary>
public sealed record GeneratedText(string Prompt, string Completion, int Tokens, double Temperature, int? ClientId)
{
    public override string ToString() => Prompt + Completion;
}

/// <summary>
/// Autoregressive decoding: greedy (temperature 0) or sampling from softmax(logits / temperature) with a seeded
/// generator. Stops at end-of-text or after the token budget; the window slides when the context is full.
/// </summary>
public static class TextGeneration
{
    public static GeneratedText Generate(nn.Module<Tensor, Tensor> model, ITextTokenizer tokenizer, int context, string prompt,
        int maxTokens, double temperature, long seed, int? clientId = null)
    {
        if (maxTokens < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"MaxTokens must be at least 1 (got {maxTokens}).", maxTokens);
        }

        if (!(temperature >= 0) || !double.IsFinite(temperature))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"Temperature must be 0 (greedy) or positive (got {temperature})."), temperature);
        }

        var device = model.parameters().First().device;
        var ids = tokenizer.Encode(prompt).Select(i => (long)i).ToList();
        if (ids.Count == 0)
        {
            ids.Add(tokenizer.EndOfText);
        }

        var generated = new List<int>();
        using var generator = new Generator((ulong)seed);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (var step = 0; step < maxTokens; step++)
            {
                using var scope = NewDisposeScope();
                var window = ids.Skip(Math.Max(0, ids.Count - context)).ToArray();
                var logits = model.forward(tensor(window, [1, window.Length]).to(device))[0, -1].to_type(ScalarType.Float32).cpu();
                var next = temperature == 0
                    ? (int)logits.argmax().item<long>()
                    : (int)multinomial(logits.div(temperature).softmax(-1), 1, generator: generator).item<long>();
                if (next == tokenizer.EndOfText)
                {
                    break;
                }

                generated.Add(next);
                ids.Add(next);
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return new GeneratedText(prompt, tokenizer.Decode(generated), generated.Count, temperature, clientId);
    }
}
