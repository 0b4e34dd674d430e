using FedPS.Core.Primitives;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Optim;

/// <summary>An estimator of the diagonal of the loss Hessian on a minibatch (what Sophia's h averages).</summary>
public interface IHessianEstimator
{
    string Name { get; }

    /// <summary>
    /// One estimate ĥ of diag(∇²L) on <paramref name="batch"/>, one tensor per parameter, detached. The tensors
    /// belong to the caller's dispose scope.
    /// </summary>
    Tensor[] Estimate(Minibatch batch, IReadOnlyList<Parameter> parameters);
}

/// <summary>The estimators by name.</summary>
public static class HessianEstimators
{
    private static readonly Catalog<Func<IHessianEstimator>> ByName = new("Hessian estimator",
    [
        (GaussNewtonBartlett.EstimatorName, () => new GaussNewtonBartlett()),
        (Hutchinson.EstimatorName, () => new Hutchinson()),
    ]);

    public static IReadOnlyList<string> Names => ByName.Names;

    public static string Canonical(string name) => ByName.Canonical(name);

    public static IHessianEstimator Create(string name) => ByName.Get(name)();
}
