using FedPS.Core.Data;
using FedPS.Core.Primitives;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>Mean cross-entropy and accuracy on a dataset (per sample for classifiers, per counted token for language models).</summary>
public readonly record struct Evaluation(double Loss, double Accuracy, int Samples);

public static class Evaluator
{
    public const int BatchSize = 1000;

    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, FedDataset data)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var loss = zeros(1, dtype: ScalarType.Float64, device: data.Features.device);
            var correct = zeros(1, dtype: ScalarType.Int64, device: data.Features.device);
            var counted = zeros(1, dtype: ScalarType.Int64, device: data.Features.device);
            var countedLengths = SequencePadding.CountedLengths(data.Labels); // one host read, not one per batch
            for (long start = 0; start < data.Count; start += BatchSize)
            {
                var length = Math.Min(BatchSize, data.Count - start);
                var (inputs, labels) = (data.Features.narrow(0, start, length), data.Labels.narrow(0, start, length));
                if (countedLengths is not null)
                {
                    (inputs, labels) = SequencePadding.Trim(inputs, labels, countedLengths[(int)start..(int)(start + length)].Max());
                }

                var logits = model.forward(inputs);
                loss.add_(Losses.CrossEntropy(logits, labels, nn.Reduction.Sum).to_type(ScalarType.Float64));
                correct.add_(Losses.Correct(logits, labels));
                counted.add_(Losses.CountedLabels(labels));
            }

            var n = Math.Max(1, counted.item<long>());
            return new Evaluation(loss.item<double>() / n, (double)correct.item<long>() / n, data.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
