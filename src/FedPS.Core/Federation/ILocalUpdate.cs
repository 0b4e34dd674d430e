using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Primitives;
using TorchSharp.Modules;
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

/// <summary>
/// Backpropagate, optionally clip the gradient's global norm (torch's clip_grad_norm_, before the step as in Sophia's
/// reference training script), then step a local optimizer: the update of every method whose clients train their
/// parameters. Built by <see cref="LocalUpdateContext.OptimizerUpdate"/>, which takes the clip from the client's
/// <see cref="LocalTrainingSpec.MaxGradientNorm"/>. With clipping, the fraction of steps whose norm was above the
/// limit is reported as <see cref="ClipRateMetric"/>.
/// </summary>
public sealed class OptimizerUpdate(ILocalOptimizer optimizer, IReadOnlyList<Parameter> parameters, double? maxGradientNorm) : ILocalUpdate
{
    public const string ClipRateMetric = "GradientClipRate";

    private int steps;
    private int clipped;

    public void Step(Tensor objective, Minibatch batch)
    {
        optimizer.ZeroGrad();
        objective.backward();
        if (maxGradientNorm is { } limit)
        {
            steps++;
            if (nn.utils.clip_grad_norm_(parameters, limit) > limit)
            {
                clipped++;
            }
        }

        optimizer.Step(batch);
    }

    public ParameterSet? Payload() => null;

    public IReadOnlyDictionary<string, double> CollectMetrics()
    {
        var metrics = optimizer.CollectMetrics();
        if (steps == 0)
        {
            return metrics;
        }

        var withClipping = new Dictionary<string, double>(metrics) { [ClipRateMetric] = (double)clipped / steps };
        steps = 0;
        clipped = 0;
        return withClipping;
    }

    public void Dispose() => optimizer.Dispose();
}
