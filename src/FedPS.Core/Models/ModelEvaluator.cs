using FedPS.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// Evaluates parameter sets on data with one network of its own: a set's tensors are loaded into it by name (frozen
/// weights, such as a LoRA base, stay as the network holds them), then <see cref="Evaluator"/> runs.
/// </summary>
public sealed class ModelEvaluator(nn.Module<Tensor, Tensor> network) : IDisposable
{
    /// <summary>The network as last loaded; valid until the next <see cref="Load"/> or evaluation.</summary>
    public nn.Module<Tensor, Tensor> Network { get; } = network;

    public Evaluation Evaluate(ParameterSet parameters, FedDataset data) => Evaluator.Evaluate(Load(parameters), data);

    /// <summary>Loads <paramref name="parameters"/> into the network and returns it.</summary>
    public nn.Module<Tensor, Tensor> Load(ParameterSet parameters)
    {
        parameters.CopyTo(Network);
        return Network;
    }

    public void Dispose() => Network.Dispose();
}
