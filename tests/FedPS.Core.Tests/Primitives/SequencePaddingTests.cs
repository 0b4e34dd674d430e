using FedPS.Core.Data;
using FedPS.Core.Data.Text;
using FedPS.Core.Models;
using FedPS.Core.Primitives;
using FedPS.Core.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Primitives;

public sealed class SequencePaddingTests
{
    private const int Context = 24;

    // Prompt + response + end-of-text: 5, 10, 14 and 22 tokens, right-padded to the context.
    private static FedDataset Padded() => TextEncoder.Instructions("t", "train",
        [new TextExample("a:", "bc", ""), new TextExample("abcd:", "efgh", ""), new TextExample("x:", "yyyyyyyyyyy", ""), new TextExample("q:", new string('r', 19), "")],
        new ByteTokenizer(), Context, CPU);

    [Fact]
    public void Counted_lengths_end_after_each_samples_last_counted_label()
    {
        const long I = Losses.IgnoreIndex;
        using var labels = tensor(new long[] { I, 5, 6, I, I, I, I, I, 1, I, I, I }, [3, 4]);
        using var classes = tensor(new long[] { 1, 2, 3 });

        Assert.Equal([3, 0, 1], SequencePadding.CountedLengths(labels)!);
        Assert.Null(SequencePadding.CountedLengths(classes));
    }

    [Fact]
    public void Trim_keeps_at_least_one_position_and_leaves_full_or_non_sequence_batches_alone()
    {
        using var tokens = zeros([2, 6], dtype: ScalarType.Int64);
        using var images = zeros([2, 4, 4]);
        using var classes = zeros([2], dtype: ScalarType.Int64);

        Assert.Equal(1, SequencePadding.Trim(tokens, tokens, 0).Labels.shape[1]);
        Assert.Equal(4, SequencePadding.Trim(tokens, tokens, 4).Inputs.shape[1]);
        Assert.Equal(6, SequencePadding.Trim(tokens, tokens, 9).Inputs.shape[1]);
        Assert.Same(images, SequencePadding.Trim(images, classes, 2).Inputs);
    }

    [Fact]
    public void Minibatches_of_padded_text_end_after_their_longest_counted_label_and_drop_only_padding()
    {
        var data = Padded();
        var lengths = SequencePadding.CountedLengths(data.Labels)!;
        Assert.Equal([4, 9, 13, 21], lengths); // the last label predicts end-of-text from the token before it

        using (var single = new MinibatchStream(data.Features, data.Labels, 1, 7, 1, 0))
        {
            var widths = Enumerable.Range(0, 4).Select(_ => (int)single.Next().Labels.shape[1]).Order().ToArray();
            Assert.Equal(lengths, widths);
        }

        using var whole = new MinibatchStream(data.Features, data.Labels, 4, 7, 1, 0);
        var (inputs, labels) = whole.Next();
        Assert.Equal(21, inputs.shape[1]);
        Assert.Equal(21, labels.shape[1]);
        using var kept = labels.ne(Losses.IgnoreIndex).sum();
        using var all = data.Labels.ne(Losses.IgnoreIndex).sum();
        Assert.Equal(all.item<long>(), kept.item<long>());
    }

    [Fact]
    public void A_causal_model_gives_the_same_loss_and_gradients_on_the_trimmed_batch()
    {
        var data = Padded();
        using var model = new GptNet(new GptConfig(257, Context, 2, 2, 16, "Byte"));
        var (inputs, labels) = SequencePadding.Trim(data.Features, data.Labels, SequencePadding.CountedLengths(data.Labels)!.Max());

        var (fullLoss, fullGradients) = LossAndGradients(model, data.Features, data.Labels);
        var (trimmedLoss, trimmedGradients) = LossAndGradients(model, inputs, labels);

        Assert.Equal(21, inputs.shape[1]);
        Assert.Equal(fullLoss, trimmedLoss, 5);
        Assert.All(fullGradients.Zip(trimmedGradients), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 1e-4, atol: 1e-6)));
    }

    [Fact]
    public void Evaluating_padded_text_gives_the_full_width_loss_per_counted_token()
    {
        var data = Padded();
        using var model = new GptNet(new GptConfig(257, Context, 2, 2, 16, "Byte"));
        model.eval();
        double expected;
        using (no_grad())
        {
            using var logits = model.forward(data.Features);
            using var sum = Losses.CrossEntropy(logits, data.Labels, nn.Reduction.Sum);
            using var counted = Losses.CountedLabels(data.Labels);
            expected = sum.item<float>() / counted.item<long>();
        }

        Assert.Equal(expected, Evaluator.Evaluate(model, data).Loss, 5);
    }

    private static (double Loss, Tensor[] Gradients) LossAndGradients(GptNet model, Tensor inputs, Tensor labels)
    {
        model.zero_grad();
        using var loss = Losses.CrossEntropy(model.forward(inputs), labels);
        loss.backward();
        return (loss.item<float>(), model.parameters().Where(p => p.requires_grad).Select(p => p.grad!.clone()).ToArray());
    }
}
