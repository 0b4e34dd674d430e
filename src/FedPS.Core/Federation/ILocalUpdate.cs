using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Primitives;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>
/// What one local step does with the minibatch objective: the seam between <see cref="LocalTrainer"/>'s one step
/// loop and a method's update. Plain training backpropagates and steps an optimizer (<see cref="OptimizerUpdate"/>);
/// DONE instead advances a Newton direction by a Hessian-vector product at fixed parameters.
/// </summary>
public interface ILocalUpdate : IDisposable
{
    /// <summary>One step from <paramref name="objective"/> (the minibatch loss plus any penalty, graph attached).</summary>
    void Step(Tensor objective, Minibatch batch);

    /// <summary>What the client sends instead of its trained parameters (e.g. a Newton direction), or null. The caller owns it.</summary>
    ParameterSet? Payload();

    /// <summary>Numbers since the last call (e.g. Sophia's win rate); resets them.</summary>
    IReadOnlyDictionary<string, double> CollectMetrics();
}

/// <summary>Backpropagate, then step a local optimizer: the update of every method whose clients train their parameters.</summary>
public sealed class OptimizerUpdate(ILocalOptimizer optimizer) : ILocalUpdate
{
    public void Step(Tensor objective, Minibatch batch)
    {
        optimizer.ZeroGrad();
        objective.backward();
        optimizer.Step(batch);
    }

    public ParameterSet? Payload() => null;

    public IReadOnlyDictionary<string, double> CollectMetrics() => optimizer.CollectMetrics();

    public void Dispose() => optimizer.Dispose();
}
