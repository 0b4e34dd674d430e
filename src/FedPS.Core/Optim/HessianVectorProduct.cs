using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Optim;

/// <summary>
/// Hessian-vector products by double backward (Pearlmutter 1994): H·v = ∇(∇L · v), without forming H.
/// Shared by the Hutchinson estimator and DONE's Richardson iterations.
/// </summary>
public static class HessianVectorProduct
{
    /// <summary>
    /// H·v for the Hessian of <paramref name="loss"/> with respect to <paramref name="parameters"/>, one tensor per
    /// parameter (detached). <paramref name="loss"/> must still have its graph.
    /// </summary>
    public static Tensor[] Compute(Tensor loss, IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor> vectors)
    {
        var inputs = parameters.Cast<Tensor>().ToArray();
        var gradients = autograd.grad([loss], inputs, retain_graph: true, create_graph: true); // TorchSharp does not imply retain from create
        Tensor dot = zeros([], dtype: loss.dtype, device: loss.device);
        for (var i = 0; i < gradients.Count; i++)
        {
            dot = dot + gradients[i].mul(vectors[i]).sum();
        }

        return autograd.grad([dot], inputs).Select(h => h.detach()).ToArray();
    }
}
