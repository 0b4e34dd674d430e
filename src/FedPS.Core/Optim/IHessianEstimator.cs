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
    public static readonly IReadOnlyList<string> Names = [GaussNewtonBartlett.EstimatorName, Hutchinson.EstimatorName];

    public static string Canonical(string name) =>
        Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Unknown Hessian estimator '{name}'. Valid estimators: {string.Join(", ", Names)}.", name);

    public static IHessianEstimator Create(string name) => Canonical(name) switch
    {
        GaussNewtonBartlett.EstimatorName => new GaussNewtonBartlett(),
        _ => new Hutchinson(),
    };
}
