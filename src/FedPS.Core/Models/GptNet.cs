using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedPS.Core.Models;

/// <summary>
/// A GPT-style causal language model (Radford et al. 2018/2019): token + learned position embeddings, pre-norm
/// transformer blocks with causal self-attention and an MLP, a final layer norm, and an output head tied to the
/// token embedding. Input: token ids [B, T] (T ≤ context); output: logits [B, T, V].
/// With a <see cref="LoraSpec"/>, the targeted linear layers carry adapters and every other weight is frozen.
/// </summary>
public sealed class GptNet : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300 // GPT-2's module names (state-dict keys)
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly ModuleList<GptBlock> h;
    private readonly LayerNorm ln_f;
#pragma warning restore IDE1006, SA1300

    public GptNet(GptConfig config, LoraSpec? lora = null)
        : base(nameof(GptNet))
    {
        Config = config.Validated();
        Lora = lora?.Validated();
        wte = Embedding(config.VocabularySize, config.Embedding);
        wpe = Embedding(config.ContextLength, config.Embedding);
        var linears = new LinearFactory(Lora);
        h = new ModuleList<GptBlock>(Enumerable.Range(0, config.Layers)
            .Select(_ => new GptBlock(config.Embedding, config.Heads, linears)).ToArray());
        ln_f = LayerNorm(config.Embedding);
        RegisterComponents();
        InitializeLikeGpt2();
        if (Lora is not null)
        {
            foreach (var (name, parameter) in named_parameters())
            {
                parameter.requires_grad = IsAdapter(name);
            }
        }
    }

    public GptConfig Config { get; }

    public LoraSpec? Lora { get; }

    /// <summary>True for the names of LoRA adapter tensors (A and B).</summary>
    public static bool IsAdapter(string parameterName) =>
        parameterName.EndsWith(".lora_A", StringComparison.Ordinal) || parameterName.EndsWith(".lora_B", StringComparison.Ordinal);

    public override Tensor forward(Tensor tokens)
    {
        var time = tokens.shape[1];
        if (time > Config.ContextLength)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The sequence has {time} tokens but the model's context is {Config.ContextLength}.", time);
        }

        using var scope = NewDisposeScope();
        var positions = arange(time, dtype: ScalarType.Int64, device: tokens.device);
        var x = wte.forward(tokens) + wpe.forward(positions);
        foreach (var block in h)
        {
            x = block.forward(x);
        }

        return functional.linear(ln_f.forward(x), wte.weight!).MoveToOuterDisposeScope();
    }

    // GPT-2's initialization: N(0, 0.02) for embeddings and linear weights, zero biases (LoRA's A and B keep theirs).
    private void InitializeLikeGpt2()
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (IsAdapter(name) || name.Contains("ln_", StringComparison.Ordinal))
            {
                continue;
            }

            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
            else
            {
                init.normal_(parameter, 0, 0.02);
            }
        }
    }
}
