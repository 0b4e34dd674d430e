using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedPS.Core.Models;

/// <summary>
/// A linear layer with a LoRA adapter (Hu et al. 2021): y = x·Wᵀ + b + (α/r)·dropout(x)·Aᵀ·Bᵀ. W and b are frozen
/// and keep nn.Linear's names (weight, bias), so a checkpoint of the plain model loads into the adapted one;
/// A starts small and random (Kaiming-uniform, as in the reference implementation) and B at zero, so a fresh
/// adapter leaves the model exactly as it was.
/// </summary>
public sealed class LoraLinear : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300 // PyTorch parameter names (they are the state-dict keys)
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter lora_A;
    private readonly Parameter lora_B;
#pragma warning restore IDE1006, SA1300
    private readonly Dropout dropout;
    private readonly double scale;

    public LoraLinear(int inFeatures, int outFeatures, LoraSpec spec)
        : base(nameof(LoraLinear))
    {
        using var plain = Linear(inFeatures, outFeatures);
        weight = Parameter(plain.weight!.detach().clone(), requires_grad: false);
        bias = Parameter(plain.bias!.detach().clone(), requires_grad: false);
        lora_A = Parameter(empty(spec.Rank, inFeatures));
        init.kaiming_uniform_(lora_A, a: Math.Sqrt(5));
        lora_B = Parameter(zeros(outFeatures, spec.Rank));
        dropout = Dropout(spec.Dropout);
        scale = spec.Scale;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var adapted = functional.linear(functional.linear(dropout.forward(input), lora_A), lora_B);
        return functional.linear(input, weight, bias).add_(adapted, alpha: scale).MoveToOuterDisposeScope();
    }

    /// <summary>W + (α/r)·B·A: the plain weight that computes what the adapter path computes (without dropout).</summary>
    public Tensor MergedWeight()
    {
        using var _ = no_grad();
        return weight.add(lora_B.matmul(lora_A), alpha: scale);
    }

    public Tensor Bias => bias;
}
