using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>A model a researcher created: its spec, its seed, and its initial weights.</summary>
public sealed class FedModel
{
    public FedModel(ModelSpec spec, int seed)
    {
        Spec = spec;
        Seed = seed;
        Module = spec.Build(seed);
        Module.to(Runtime.FedDevice.Current);
    }

    public ModelSpec Spec { get; }

    public string Architecture => Spec.Architecture;

    public int Seed { get; }

    public nn.Module<Tensor, Tensor> Module { get; }

    public long ParameterCount => Module.parameters().Sum(p => p.numel());

    public long TrainableParameterCount => Module.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    public string InputShape => ModelSpec.Describe(Spec.InputShape);

    public int Classes => Spec.Classes;

    public string Device => Module.parameters().First().device.ToString();

    /// <summary>A fresh network of the same architecture, holding a copy of this model's current weights.</summary>
    public nn.Module<Tensor, Tensor> CreateReplica()
    {
        var replica = Spec.Build(Seed);
        replica.to(Module.parameters().First().device);
        using var weights = ParameterSet.From(Module);
        weights.CopyTo(replica);
        return replica;
    }

    /// <summary>Fails with a clear message when the data's samples are not shaped as this model expects.</summary>
    public void EnsureAccepts(Data.FedDataset data)
    {
        if (!data.Shape.SequenceEqual(Spec.InputShape) || data.ClassCount != Spec.Classes)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The {Architecture} model expects inputs shaped {InputShape} with {Classes} classes, but '{data.Name}' " +
                $"has samples shaped {ModelSpec.Describe(data.Shape)} with {data.ClassCount} classes. " +
                $"Create the model from the data: Import-FedDataset {data.Name} | New-FedModel -Architecture {Architecture}",
                data.Name);
        }
    }

    public override string ToString() => $"{Architecture} ({ParameterCount:N0} parameters)";
}
