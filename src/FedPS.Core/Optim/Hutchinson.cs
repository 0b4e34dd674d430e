using FedPS.Core.Primitives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Optim;

/// <summary>
/// Hutchinson's estimator of the Hessian diagonal (Hutchinson 1989; used by Sophia-H, Liu et al. 2023, Algorithm 1):
/// draw a Rademacher vector u (entries ±1) and return ĥ = u ⊙ (∇²L·u), with ∇²L·u by double backward. E[ĥ] =
/// diag(∇²L) exactly; a single draw is exact when the Hessian is diagonal. Unlike GNB, ĥ can be negative.
/// </summary>
public sealed class Hutchinson : IHessianEstimator
{
    public const string EstimatorName = "Hutchinson";

    public string Name => EstimatorName;

    public Tensor[] Estimate(Minibatch batch, IReadOnlyList<Parameter> parameters) =>
        Diagonal(Losses.CrossEntropy(batch.Model.forward(batch.Inputs), batch.Labels), parameters, batch.Generator);

    /// <summary>One estimate u ⊙ (∇²L·u) for any scalar <paramref name="loss"/> that still has its graph.</summary>
    public static Tensor[] Diagonal(Tensor loss, IReadOnlyList<Parameter> parameters, Generator generator)
    {
        var probes = parameters.Select(p => Rademacher(p, generator)).ToArray();
        var products = HessianVectorProduct.Compute(loss, parameters, probes);
        return products.Select((hv, i) => hv.mul_(probes[i])).ToArray();
    }

    /// <summary>Entries ±1 with equal probability, shaped like <paramref name="like"/>.</summary>
    public static Tensor Rademacher(Tensor like, Generator generator) =>
        randint(0, 2, like.shape, dtype: like.dtype, device: like.device, generator: generator).mul_(2).sub_(1);
}
