using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedPS.Core.Models;

/// <summary>Makes the linear layers of a block: plain nn.Linear, or <see cref="LoraLinear"/> where LoRA targets them.</summary>
internal sealed class LinearFactory(LoraSpec? lora)
{
    public Module<Tensor, Tensor> Create(int inFeatures, int outFeatures, LoraTargets kind) =>
        lora is not null && lora.Targets.HasFlag(kind)
            ? new LoraLinear(inFeatures, outFeatures, lora)
            : Linear(inFeatures, outFeatures);
}
