using FedPS.Core.Data.Text;
using FedPS.Core.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>One example of a task scored: what was asked, what was expected and what the model wrote greedily.</summary>
public sealed record TextPrediction(string Prompt, string Expected, string Generated, double ExactMatch, double ChrF);

/// <summary>
/// A model's task metrics on examples of one task, from greedy generation: the share of exact matches (a classification
/// task's accuracy) and the mean sentence-level chrF (<see cref="TextMetrics.ChrF"/>, β = 3, n ≤ 6).
/// </summary>
public sealed record TextTaskScore(string Task, TextTaskKind Kind, string Split, int? ClientId, IReadOnlyList<TextPrediction> Predictions)
{
    public int Examples => Predictions.Count;

    /// <summary>Share of predictions equal to the reference (trimmed): accuracy for classification.</summary>
    public double ExactMatch => Predictions.Count == 0 ? double.NaN : Predictions.Average(p => p.ExactMatch);

    /// <summary>Mean sentence-level chrF3 over the examples, in [0, 1].</summary>
    public double ChrF => Predictions.Count == 0 ? double.NaN : Predictions.Average(p => p.ChrF);

    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="examples"/> of a task: each prompt is completed greedily for up to
    /// <paramref name="maxTokens"/> tokens (or to end-of-text) and compared with its response.
    /// </summary>
    public static TextTaskScore Measure(nn.Module<Tensor, Tensor> model, ITextTokenizer tokenizer, int context, string task, TextTaskKind kind,
        string split, IReadOnlyList<TextExample> examples, int maxTokens, int? clientId = null)
    {
        var generated = TextGeneration.GenerateGreedy(model, tokenizer, context, examples.Select(e => e.Prompt).ToArray(), maxTokens);
        var predictions = examples.Select((e, i) => new TextPrediction(e.Prompt, e.Response, generated[i],
            TextMetrics.ExactMatch(generated[i], e.Response), TextMetrics.ChrF(generated[i], e.Response))).ToArray();
        return new TextTaskScore(task, kind, split, clientId, predictions);
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Task} ({Split}): exact match {ExactMatch:P1}, chrF {ChrF:F3} over {Examples} examples");
}
