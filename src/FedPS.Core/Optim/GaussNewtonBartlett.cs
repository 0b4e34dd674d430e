using FedPS.Core.Primitives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Optim;

/// <summary>
/// Gauss-Newton-Bartlett (Liu et al. 2023, "Sophia", §2.3 and Algorithm 2): sample labels ŷ from the model's
/// own softmax, take the gradient ĝ of the mean cross-entropy against ŷ, and return ĥ = B·ĝ⊙ĝ. By Bartlett's
/// second identity E[B·ĝ⊙ĝ] is the diagonal of the Gauss-Newton matrix, so ĥ is non-negative by construction.
/// B counts the labelled positions (the batch size for a classifier, the counted tokens for a language model).
/// </summary>
public sealed class GaussNewtonBartlett : IHessianEstimator
{
    public const string EstimatorName = "GaussNewtonBartlett";

    public string Name => EstimatorName;

    public Tensor[] Estimate(Minibatch batch, IReadOnlyList<Parameter> parameters)
    {
        var logits = batch.Model.forward(batch.Inputs);
        var flat = logits.flatten(0, -2);
        var labels = batch.Labels.flatten();
        Tensor sampled;
        using (no_grad())
        {
            var drawn = flat.detach().softmax(-1).multinomial(1, replacement: true, generator: batch.Generator).squeeze(-1);
            sampled = drawn.where(labels.ne(Losses.IgnoreIndex), labels);
        }

        var counted = Losses.CountedLabels(sampled); // a tensor: no device sync
        var loss = Losses.CrossEntropy(flat, sampled);
        var gradients = autograd.grad([loss], parameters.Cast<Tensor>().ToArray());
        return gradients.Select(g => g.pow_(2).mul_(counted)).ToArray(); // fresh from autograd.grad: ours to square in place
    }
}
