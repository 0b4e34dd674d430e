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

    /// <summary>
    /// A model whose weights come from a checkpoint: every parameter of <paramref name="weights"/> is copied in
    /// by name; parameters it lacks (fresh LoRA adapters) keep their seeded initialization.
    /// </summary>
    public FedModel(ModelSpec spec, int seed, IReadOnlyDictionary<string, Tensor> weights)
        : this(spec, seed)
    {
        using var _ = no_grad();
        var parameters = Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in weights)
        {
            if (!parameters.TryGetValue(name, out var target) || !target.shape.SequenceEqual(value.shape))
            {
                throw new FedPSException(FedErrorKind.InvalidData,
                    $"The checkpoint tensor '{name}' [{string.Join(", ", value.shape)}] does not fit the model " +
                    (target is null ? "(no such parameter)." : $"(expects [{string.Join(", ", target.shape)}])."), name);
            }

            target.copy_(value);
        }

        var missing = parameters.Keys.FirstOrDefault(n => !weights.ContainsKey(n) && !GptNet.IsAdapter(n));
        if (missing is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidData, $"The checkpoint has no value for the model's parameter '{missing}'.", missing);
        }
    }

    public ModelSpec Spec { get; }

    public string Architecture => Spec.Architecture;

    public int Seed { get; }

    [Newtonsoft.Json.JsonIgnore]
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
        if (Spec.Gpt is { } gpt)
        {
            if (data.Shape.Length != 1 || data.Shape[0] > gpt.ContextLength || data.ClassCount != gpt.VocabularySize)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"The Gpt model reads token sequences of at most {gpt.ContextLength} tokens from a vocabulary of " +
                    $"{gpt.VocabularySize} ({gpt.Tokenizer}), but '{data.Name}' has samples shaped {ModelSpec.Describe(data.Shape)} " +
                    $"with {data.ClassCount} classes. Import the text with the model's tokenizer and context: " +
                    $"Import-FedTextTask -Tokenizer {gpt.Tokenizer} -ContextLength {gpt.ContextLength}",
                    data.Name);
            }

            return;
        }

        if (data.IsSequence)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"'{data.Name}' holds token sequences (text); the {Architecture} model reads images. " +
                "Train a language model on text: New-FedModel -Architecture Gpt, or pipe the text task into New-FedModel -Architecture Gpt.",
                data.Name);
        }

        if (!data.Shape.SequenceEqual(Spec.InputShape) || data.ClassCount != Spec.Classes)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The {Architecture} model expects inputs shaped {InputShape} with {Classes} classes, but '{data.Name}' " +
                $"has samples shaped {ModelSpec.Describe(data.Shape)} with {data.ClassCount} classes. " +
                $"Create the model from the data: Import-FedDataset {data.Name} | New-FedModel -Architecture {Architecture}",
                data.Name);
        }
    }

    /// <summary>The LoRA adapters, when the model has them (shown by New-FedModel).</summary>
    public string? Lora => Spec.Lora?.ToString();

    /// <summary>The current weights by parameter name (views, not copies).</summary>
    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyDictionary<string, Tensor> Weights => Module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    public override string ToString() => $"{Architecture} ({ParameterCount:N0} parameters)";
}
