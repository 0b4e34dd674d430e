using FedPS.Core.Tokenizers;
using FedPS.Core.Primitives;
using static TorchSharp.torch;

namespace FedPS.Core.Data.Text;

/// <summary>Turns text into language-model datasets: token ids [N, T] and next-token labels [N, T].</summary>
public static class TextEncoder
{
    /// <summary>
    /// Instruction data: each example is prompt + response + end-of-text, right-padded to <paramref name="context"/>;
    /// labels are the next tokens on response positions (and the end-of-text) and <see cref="Losses.IgnoreIndex"/> on
    /// the prompt and the padding, so the loss covers the response only. Longer examples are cut at the context.
    /// </summary>
    public static FedDataset Instructions(string name, string split, IReadOnlyList<TextExample> examples, ITextTokenizer tokenizer,
        int context, Device device)
    {
        var features = new long[examples.Count * context];
        var labels = new long[examples.Count * context];
        Array.Fill(features, tokenizer.EndOfText);
        Array.Fill(labels, Losses.IgnoreIndex);
        for (var i = 0; i < examples.Count; i++)
        {
            var prompt = tokenizer.Encode(examples[i].Prompt);
            var sequence = prompt.Concat(tokenizer.Encode(examples[i].Response)).Append(tokenizer.EndOfText).Take(context + 1).ToArray();
            for (var t = 0; t < sequence.Length - 1; t++)
            {
                features[(i * context) + t] = sequence[t];
                if (t + 1 >= prompt.Count)
                {
                    labels[(i * context) + t] = sequence[t + 1];
                }
            }
        }

        return Dataset(name, split, features, labels, examples.Count, context, tokenizer, device);
    }

    /// <summary>
    /// Plain text for pretraining: the texts joined by end-of-text tokens and cut into windows of
    /// <paramref name="context"/> + 1 tokens; every next token counts.
    /// </summary>
    public static FedDataset Corpus(string name, string split, IEnumerable<string> texts, ITextTokenizer tokenizer, int context, Device device)
    {
        var stream = texts.SelectMany(t => tokenizer.Encode(t).Append(tokenizer.EndOfText)).Select(id => (long)id).ToArray();
        var windows = Math.Max(0, (stream.Length - 1) / context);
        if (windows == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"The text of '{name}' is shorter than one context window.", name);
        }

        var features = new long[windows * context];
        var labels = new long[windows * context];
        for (var w = 0; w < windows; w++)
        {
            Array.Copy(stream, w * context, features, w * context, context);
            Array.Copy(stream, (w * context) + 1, labels, w * context, context);
        }

        return Dataset(name, split, features, labels, windows, context, tokenizer, device);
    }

    private static FedDataset Dataset(string name, string split, long[] features, long[] labels, int count, int context,
        ITextTokenizer tokenizer, Device device) =>
        new(name, split, tensor(features, [count, context]).to(device), tensor(labels, [count, context]).to(device),
            new Vocabulary(tokenizer.VocabularySize));

    /// <summary>A vocabulary as class names ("0", "1", ...), produced on demand instead of stored.</summary>
    private sealed class Vocabulary(int size) : IReadOnlyList<string>
    {
        public int Count => size;

        public string this[int index] => index.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public IEnumerator<string> GetEnumerator() => Enumerable.Range(0, size).Select(i => this[i]).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
