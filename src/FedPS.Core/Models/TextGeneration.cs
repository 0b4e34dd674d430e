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

    /// <summary>
    /// Greedy decoding of many prompts at once, as <see cref="Generate"/> with temperature 0 does one at a time: the
    /// prompts still being written are right-padded into one batch per step (causal attention never looks at the padding)
    /// and each takes the argmax at its own last position; a prompt stops at end-of-text or after <paramref name="maxTokens"/>.
    /// </summary>
    public static IReadOnlyList<string> GenerateGreedy(nn.Module<Tensor, Tensor> model, ITextTokenizer tokenizer, int context,
        IReadOnlyList<string> prompts, int maxTokens, int batchSize = 64)
    {
        if (maxTokens < 1 || batchSize < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"MaxTokens and the batch size must be at least 1 (got {maxTokens}, {batchSize}).", maxTokens);
        }

        var device = model.parameters().First().device;
        var ids = prompts.Select(p => tokenizer.Encode(p).Select(i => (long)i).DefaultIfEmpty(tokenizer.EndOfText).ToList()).ToArray();
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (var start = 0; start < ids.Length; start += batchSize)
            {
                var active = Enumerable.Range(start, Math.Min(batchSize, ids.Length - start)).ToList();
                for (var step = 0; step < maxTokens && active.Count > 0; step++)
                {
                    using var scope = NewDisposeScope();
                    var windows = active.Select(i => ids[i].Skip(Math.Max(0, ids[i].Count - context)).ToArray()).ToArray();
                    var width = windows.Max(w => w.Length);
                    var batch = new long[active.Count * width];
                    Array.Fill(batch, tokenizer.EndOfText);
                    for (var row = 0; row < windows.Length; row++)
                    {
                        Array.Copy(windows[row], 0, batch, row * width, windows[row].Length);
                    }

                    var logits = model.forward(tensor(batch, [active.Count, width]).to(device));
                    var last = tensor(windows.Select(w => (long)w.Length - 1).ToArray()).to(device);
                    var next = logits[arange(active.Count, device: device), last].argmax(-1).cpu().data<long>().ToArray();
                    var still = new List<int>();
                    for (var row = 0; row < active.Count; row++)
                    {
                        var i = active[row];
                        if (next[row] == tokenizer.EndOfText)
                        {
                            continue;
                        }

                        generated[i].Add((int)next[row]);
                        ids[i].Add(next[row]);
                        still.Add(i);
                    }

                    active = still;
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return generated.Select(g => tokenizer.Decode(g)).ToArray();
    }
}
