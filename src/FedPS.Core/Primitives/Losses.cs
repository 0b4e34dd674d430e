using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Primitives;

/// <summary>
/// The training objective shared by every task: cross-entropy over classes. Classifier logits are [B, C] with
/// labels [B]; language-model logits are [B, T, V] with labels [B, T], where <see cref="IgnoreIndex"/> marks
/// positions that do not count (e.g. prompt tokens, so the loss covers response tokens only).
/// </summary>
public static class Losses
{
    public const long IgnoreIndex = -100;

    public static Tensor CrossEntropy(Tensor logits, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
        logits.dim() == 3
            ? nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index: IgnoreIndex, reduction: reduction)
            : nn.functional.cross_entropy(logits, labels, ignore_index: IgnoreIndex, reduction: reduction);

    /// <summary>Number of labels that count towards the loss.</summary>
    public static Tensor CountedLabels(Tensor labels) => labels.ne(IgnoreIndex).sum();

    /// <summary>Number of counted labels the logits predict correctly (arg-max).</summary>
    public static Tensor Correct(Tensor logits, Tensor labels) =>
        logits.argmax(-1).eq(labels).logical_and(labels.ne(IgnoreIndex)).sum();
}
