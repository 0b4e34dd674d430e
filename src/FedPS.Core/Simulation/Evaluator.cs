using FedPS.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>Mean cross-entropy and accuracy of a classifier on a dataset.</summary>
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
            for (long start = 0; start < data.Count; start += BatchSize)
            {
                var length = Math.Min(BatchSize, data.Count - start);
                var logits = model.forward(data.Features.narrow(0, start, length));
                var labels = data.Labels.narrow(0, start, length);
                loss.add_(nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).to_type(ScalarType.Float64));
                correct.add_(logits.argmax(1).eq(labels).sum());
            }

            return new Evaluation(loss.item<double>() / data.Count, (double)correct.item<long>() / data.Count, data.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
