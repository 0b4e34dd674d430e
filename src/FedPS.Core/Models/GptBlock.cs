using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedPS.Core.Models;

/// <summary>Multi-head causal self-attention: position t attends to positions ≤ t only.</summary>
internal sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300 // PyTorch-style module names (state-dict keys)
    private readonly Module<Tensor, Tensor> q_proj;
    private readonly Module<Tensor, Tensor> k_proj;
    private readonly Module<Tensor, Tensor> v_proj;
    private readonly Module<Tensor, Tensor> out_proj;
#pragma warning restore IDE1006, SA1300
    private readonly int heads;

    public CausalSelfAttention(int embedding, int heads, LinearFactory linears)
        : base(nameof(CausalSelfAttention))
    {
        this.heads = heads;
        q_proj = linears.Create(embedding, embedding, LoraTargets.Attention);
        k_proj = linears.Create(embedding, embedding, LoraTargets.Attention);
        v_proj = linears.Create(embedding, embedding, LoraTargets.Attention);
        out_proj = linears.Create(embedding, embedding, LoraTargets.Attention);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (batch, time, channels) = (x.shape[0], x.shape[1], x.shape[2]);
        Tensor Heads(Module<Tensor, Tensor> projection) =>
            projection.forward(x).view(batch, time, heads, channels / heads).transpose(1, 2);
        var attended = functional.scaled_dot_product_attention(Heads(q_proj), Heads(k_proj), Heads(v_proj), null, 0.0, true);
        return out_proj.forward(attended.transpose(1, 2).contiguous().view(batch, time, channels)).MoveToOuterDisposeScope();
    }
}

/// <summary>The feed-forward part of a block: d → 4d, GELU, 4d → d.</summary>
internal sealed class GptMlp : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> fc;
    private readonly Module<Tensor, Tensor> proj;

    public GptMlp(int embedding, LinearFactory linears)
        : base(nameof(GptMlp))
    {
        fc = linears.Create(embedding, 4 * embedding, LoraTargets.Mlp);
        proj = linears.Create(4 * embedding, embedding, LoraTargets.Mlp);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = fc.forward(x);
        using var activated = functional.gelu(hidden);
        return proj.forward(activated);
    }
}

/// <summary>A pre-norm transformer block: x + attn(ln₁(x)), then + mlp(ln₂(x)).</summary>
internal sealed class GptBlock : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300 // PyTorch-style module names (state-dict keys)
    private readonly LayerNorm ln_1;
    private readonly CausalSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly GptMlp mlp;
#pragma warning restore IDE1006, SA1300

    public GptBlock(int embedding, int heads, LinearFactory linears)
        : base(nameof(GptBlock))
    {
        ln_1 = LayerNorm(embedding);
        attn = new CausalSelfAttention(embedding, heads, linears);
        ln_2 = LayerNorm(embedding);
        mlp = new GptMlp(embedding, linears);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.forward(ln_1.forward(x));
        return (h + mlp.forward(ln_2.forward(h))).MoveToOuterDisposeScope();
    }
}
