using FedPS.Core.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Models;

public sealed class Gpt2CheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-gpt2-").FullName;

    // GPT-2's architecture at toy size: 2 layers, 2 heads, width 8, context 6, vocabulary 11.
    private const int D = 8;
    private const int Layers = 2;

    [Fact]
    public void A_gpt2_shaped_checkpoint_loads_and_round_trips_with_its_names_shapes_and_outputs()
    {
        WriteHuggingFaceCheckpoint();
        var loaded = GptCheckpoint.Load(folder, lora: null, seed: 0);
        loaded.Module.eval();
        using var tokens = randint(0, 11, [2, 6], generator: new Generator(5));
        using var before = loaded.Module.forward(tokens);
        using var reference = ReferenceForward(tokens);

        var copy = Path.Combine(folder, "copy");
        GptCheckpoint.Save(copy, loaded.Weights, loaded.Spec.Gpt!, null);
        var reloaded = GptCheckpoint.Load(copy, lora: null, seed: 1);
        reloaded.Module.eval();
        using var after = reloaded.Module.forward(tokens);
        var saved = Safetensors.LoadStateDict(Path.Combine(copy, GptCheckpoint.WeightsFile));

        Assert.True(before.allclose(reference, rtol: 1e-4, atol: 1e-5), "GptNet computes what GPT-2's layout describes");
        Assert.True(after.equal(before).all().item<bool>());
        Assert.Equal(new long[] { D, 3 * D }, saved["transformer.h.1.attn.c_attn.weight"].shape);
        Assert.Equal(new long[] { D, 4 * D }, saved["transformer.h.0.mlp.c_fc.weight"].shape);
        Assert.Equal(4 + (Layers * 12), saved.Count);
        Assert.Equal("Gpt2", reloaded.Spec.Gpt!.Tokenizer);
    }

    [Fact]
    public void A_checkpoint_missing_a_tensor_is_rejected_with_its_name()
    {
        WriteHuggingFaceCheckpoint(skip: "h.1.ln_2.bias");

        var error = Assert.Throws<FedPSException>(() => GptCheckpoint.Load(folder, null, 0));

        Assert.Contains("h.1.ln_2.bias", error.Message);
    }

    private Dictionary<string, Tensor> tensors = [];

    // Hugging Face's own gpt2 files carry no "transformer." prefix and include the attention-mask buffers.
    private void WriteHuggingFaceCheckpoint(string? skip = null)
    {
        var g = new Generator(42);
        Tensor R(params long[] shape) => randn(shape, generator: g) * 0.3;
        tensors = new Dictionary<string, Tensor> { ["wte.weight"] = R(11, D), ["wpe.weight"] = R(6, D), ["ln_f.weight"] = 1 + R(D), ["ln_f.bias"] = R(D) };
        for (var i = 0; i < Layers; i++)
        {
            var p = $"h.{i}.";
            tensors[p + "ln_1.weight"] = 1 + R(D);
            tensors[p + "ln_1.bias"] = R(D);
            tensors[p + "attn.bias"] = ones(1, 1, 6, 6).tril();
            tensors[p + "attn.c_attn.weight"] = R(D, 3 * D);
            tensors[p + "attn.c_attn.bias"] = R(3 * D);
            tensors[p + "attn.c_proj.weight"] = R(D, D);
            tensors[p + "attn.c_proj.bias"] = R(D);
            tensors[p + "ln_2.weight"] = 1 + R(D);
            tensors[p + "ln_2.bias"] = R(D);
            tensors[p + "mlp.c_fc.weight"] = R(D, 4 * D);
            tensors[p + "mlp.c_fc.bias"] = R(4 * D);
            tensors[p + "mlp.c_proj.weight"] = R(4 * D, D);
            tensors[p + "mlp.c_proj.bias"] = R(D);
        }

        Safetensors.SaveStateDict(Path.Combine(folder, GptCheckpoint.WeightsFile),
            tensors.Where(t => t.Key != skip).ToDictionary(t => t.Key, t => t.Value));
        File.WriteAllText(Path.Combine(folder, GptCheckpoint.ConfigFile),
            """{ "model_type": "gpt2", "vocab_size": 11, "n_positions": 6, "n_embd": 8, "n_layer": 2, "n_head": 2 }""");
    }

    // GPT-2's forward pass written against the Conv1D tensors directly (x·W + b), as the reference.
    private Tensor ReferenceForward(Tensor tokens)
    {
        using var _ = no_grad();
        Tensor Conv1D(Tensor x, string name) => x.matmul(tensors[name + ".weight"]) + tensors[name + ".bias"];
        Tensor Norm(Tensor x, string name) => nn.functional.layer_norm(x, [D], tensors[name + ".weight"], tensors[name + ".bias"], 1e-5);
        var (b, t) = (tokens.shape[0], tokens.shape[1]);
        var x = tensors["wte.weight"].index_select(0, tokens.flatten()).view(b, t, D) + tensors["wpe.weight"][TensorIndex.Slice(0, t)];
        for (var i = 0; i < Layers; i++)
        {
            var p = $"h.{i}.";
            var qkv = Conv1D(Norm(x, p + "ln_1"), p + "attn.c_attn").split(D, 2);
            Tensor Heads(Tensor y) => y.view(b, t, 2, D / 2).transpose(1, 2);
            var scores = Heads(qkv[0]).matmul(Heads(qkv[1]).transpose(-2, -1)) / Math.Sqrt(D / 2);
            scores = scores.masked_fill(ones(t, t).triu(1).to_type(ScalarType.Bool), double.NegativeInfinity);
            var attended = scores.softmax(-1).matmul(Heads(qkv[2])).transpose(1, 2).contiguous().view(b, t, D);
            x = x + Conv1D(attended, p + "attn.c_proj");
            x = x + Conv1D(nn.functional.gelu(Conv1D(Norm(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj");
        }

        return Norm(x, "ln_f").matmul(tensors["wte.weight"].t());
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
