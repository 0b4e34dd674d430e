using static TorchSharp.torch;

namespace FedPS.Core.Primitives;

/// <summary>
/// Dynamic padding for language-model batches. Their samples are right-padded to the context (inputs and labels
/// [N, T], <see cref="Losses.IgnoreIndex"/> on the padding). Under causal attention no position sees a later one, and
/// the loss skips ignored labels, so the positions after a batch's last counted label change no loss and no gradient:
/// cutting them off saves their compute (as Hugging Face's padding collators do) and leaves every result as it was, up
/// to the order of float sums.
/// </summary>
public static class SequencePadding
{
    /// <summary>
    /// Per sample, one past its last counted label (0 without any); null unless the labels are a sequence's [N, T].
    /// One host read.
    /// </summary>
    public static int[]? CountedLengths(Tensor labels)
    {
        if (labels.dim() != 2)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        var positions = arange(1, labels.shape[1] + 1, dtype: ScalarType.Int64, device: labels.device);
        var lengths = labels.ne(Losses.IgnoreIndex).to_type(ScalarType.Int64).mul(positions).amax(1);
        return lengths.cpu().data<long>().Select(length => (int)length).ToArray();
    }

    /// <summary>The longest of the <paramref name="lengths"/> at <paramref name="samples"/>.</summary>
    public static int LongestOf(int[] lengths, ReadOnlySpan<long> samples)
    {
        var longest = 0;
        foreach (var sample in samples)
        {
            longest = Math.Max(longest, lengths[sample]);
        }

        return longest;
    }

    /// <summary>
    /// The batch cut to its first <paramref name="length"/> positions (at least one), or as it is when that is all of
    /// them or its inputs are not one token per label position.
    /// </summary>
    public static (Tensor Inputs, Tensor Labels) Trim(Tensor inputs, Tensor labels, int length)
    {
        length = Math.Max(1, length);
        if (labels.dim() != 2 || inputs.dim() != 2 || inputs.shape[1] != labels.shape[1] || length >= labels.shape[1])
        {
            return (inputs, labels);
        }

        return (inputs.narrow(1, 0, length), labels.narrow(1, 0, length));
    }
}
