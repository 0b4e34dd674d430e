using FedPS.Core.Primitives;
using TorchSharp;

namespace FedPS.Core.Optim;

/// <summary>
/// A client's local optimizer: the one seam between <see cref="Federation.LocalTrainer"/> and any update rule
/// (torch's SGD/Adam/AdamW, or Sophia with its curvature estimator). The trainer computes the minibatch loss and
/// its gradients; <see cref="Step"/> updates the parameters and may use the model and the minibatch itself.
/// </summary>
public interface ILocalOptimizer : IDisposable
{
    void ZeroGrad();

    /// <summary>One update from the parameters' current gradients of the loss on <paramref name="batch"/>.</summary>
    void Step(Minibatch batch);

    /// <summary>Optimizer-specific numbers since the last call (e.g. Sophia's win rate); resets them.</summary>
    IReadOnlyDictionary<string, double> CollectMetrics();
}

/// <summary>torch's own optimizers (SGD, Adam, AdamW) behind <see cref="ILocalOptimizer"/>.</summary>
public sealed class TorchLocalOptimizer(torch.optim.Optimizer optimizer) : ILocalOptimizer
{
    private static readonly IReadOnlyDictionary<string, double> NoMetrics = new Dictionary<string, double>();

    public void ZeroGrad() => optimizer.zero_grad();

    public void Step(Minibatch batch) => optimizer.step();

    public IReadOnlyDictionary<string, double> CollectMetrics() => NoMetrics;

    public void Dispose() => optimizer.Dispose();
}
