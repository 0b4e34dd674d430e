using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// Translates between <see cref="GptNet"/>'s parameter names and Hugging Face's GPT-2 layout
/// (transformer.wte.weight, transformer.h.{i}.attn.c_attn.weight, ...). GPT-2 stores its linear layers as Conv1D
/// with weights [in, out] and fuses q, k, v into one c_attn [d, 3d]; GptNet keeps PyTorch's nn.Linear [out, in]
/// and separate q/k/v projections (so LoRA can target each), so weights are transposed and split or joined here.
/// </summary>
public static class Gpt2Layout
{
    public const string Prefix = "transformer.";

    /// <summary>
    /// The model's weights under GPT-2 names. LoRA adapters are merged into their base weights (W + (α/r)·B·A),
    /// so the result is a plain GPT-2 checkpoint of what the adapted model computes.
    /// </summary>
    public static Dictionary<string, Tensor> Export(IReadOnlyDictionary<string, Tensor> weights, GptConfig config, LoraSpec? lora)
    {
        using var _ = no_grad();
        Tensor Linear(string name)
        {
            var weight = weights[name + ".weight"];
            return lora is not null && weights.TryGetValue(name + ".lora_A", out var a)
                ? weight.add(weights[name + ".lora_B"].matmul(a), alpha: lora.Scale)
                : weight.clone();
        }

        Tensor Conv1D(params string[] names) => cat(names.Select(n => Linear(n).t()).ToArray(), 1).contiguous();

        var result = new Dictionary<string, Tensor>
        {
            [Prefix + "wte.weight"] = weights["wte.weight"].clone(),
            [Prefix + "wpe.weight"] = weights["wpe.weight"].clone(),
            [Prefix + "ln_f.weight"] = weights["ln_f.weight"].clone(),
            [Prefix + "ln_f.bias"] = weights["ln_f.bias"].clone(),
        };
        for (var i = 0; i < config.Layers; i++)
        {
            var mine = $"h.{i}.";
            var theirs = Prefix + mine;
            foreach (var norm in new[] { "ln_1", "ln_2" })
            {
                result[theirs + norm + ".weight"] = weights[mine + norm + ".weight"].clone();
                result[theirs + norm + ".bias"] = weights[mine + norm + ".bias"].clone();
            }

            result[theirs + "attn.c_attn.weight"] = Conv1D(mine + "attn.q_proj", mine + "attn.k_proj", mine + "attn.v_proj");
            result[theirs + "attn.c_attn.bias"] = cat(new[] { "q_proj", "k_proj", "v_proj" }
                .Select(p => weights[mine + "attn." + p + ".bias"]).ToArray(), 0);
            result[theirs + "attn.c_proj.weight"] = Conv1D(mine + "attn.out_proj");
            result[theirs + "attn.c_proj.bias"] = weights[mine + "attn.out_proj.bias"].clone();
            result[theirs + "mlp.c_fc.weight"] = Conv1D(mine + "mlp.fc");
            result[theirs + "mlp.c_fc.bias"] = weights[mine + "mlp.fc.bias"].clone();
            result[theirs + "mlp.c_proj.weight"] = Conv1D(mine + "mlp.proj");
            result[theirs + "mlp.c_proj.bias"] = weights[mine + "mlp.proj.bias"].clone();
        }

        return result;
    }

    /// <summary>
    /// GptNet's base weights from a GPT-2 checkpoint. Accepts names with or without the "transformer." prefix
    /// (Hugging Face's own gpt2 files have none) and ignores the causal-mask buffers and a tied lm_head.
    /// </summary>
    public static Dictionary<string, Tensor> Import(IReadOnlyDictionary<string, Tensor> checkpoint, GptConfig config, string source)
    {
        var byName = checkpoint.ToDictionary(
            p => p.Key.StartsWith(Prefix, StringComparison.Ordinal) ? p.Key[Prefix.Length..] : p.Key, p => p.Value);
        Tensor Get(string name) => byName.TryGetValue(name, out var t)
            ? t
            : throw new FedPSException(FedErrorKind.InvalidData,
                $"The checkpoint '{source}' has no tensor '{name}' (nor '{Prefix}{name}'); it is not a GPT-2 checkpoint of this size.", source);

        Tensor Shaped(string name, params long[] shape) => Get(name) is var t && t.shape.SequenceEqual(shape)
            ? t
            : throw new FedPSException(FedErrorKind.InvalidData,
                $"The checkpoint '{source}' has '{name}' shaped [{string.Join(", ", t.shape)}], not [{string.Join(", ", shape)}] as its config (n_embd {config.Embedding}) says.", source);

        using var _ = no_grad();
        var d = config.Embedding;
        var result = new Dictionary<string, Tensor>
        {
            ["wte.weight"] = Get("wte.weight").clone(),
            ["wpe.weight"] = Get("wpe.weight").clone(),
            ["ln_f.weight"] = Get("ln_f.weight").clone(),
            ["ln_f.bias"] = Get("ln_f.bias").clone(),
        };
        for (var i = 0; i < config.Layers; i++)
        {
            var p = string.Create(CultureInfo.InvariantCulture, $"h.{i}.");
            foreach (var norm in new[] { "ln_1", "ln_2" })
            {
                result[p + norm + ".weight"] = Get(p + norm + ".weight").clone();
                result[p + norm + ".bias"] = Get(p + norm + ".bias").clone();
            }

            // q, k and v are split from one tensor: its shape must match the config's width first.
            var qkv = Shaped(p + "attn.c_attn.weight", d, 3 * d).t().split(d, 0);
            var qkvBias = Shaped(p + "attn.c_attn.bias", 3 * d).split(d, 0);
            string[] projections = ["q_proj", "k_proj", "v_proj"];
            for (var j = 0; j < 3; j++)
            {
                result[p + "attn." + projections[j] + ".weight"] = qkv[j].contiguous();
                result[p + "attn." + projections[j] + ".bias"] = qkvBias[j].clone();
            }

            result[p + "attn.out_proj.weight"] = Get(p + "attn.c_proj.weight").t().contiguous();
            result[p + "attn.out_proj.bias"] = Get(p + "attn.c_proj.bias").clone();
            result[p + "mlp.fc.weight"] = Get(p + "mlp.c_fc.weight").t().contiguous();
            result[p + "mlp.fc.bias"] = Get(p + "mlp.c_fc.bias").clone();
            result[p + "mlp.proj.weight"] = Get(p + "mlp.c_proj.weight").t().contiguous();
            result[p + "mlp.proj.bias"] = Get(p + "mlp.c_proj.bias").clone();
        }

        return result;
    }
}
