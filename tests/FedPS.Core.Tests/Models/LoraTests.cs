using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Models;

public sealed class LoraTests
{
    private static readonly GptConfig Tiny = new(VocabularySize: 40, ContextLength: 12, Layers: 2, Heads: 2, Embedding: 16, Tokenizer: "Byte");

    private static Tensor Tokens() => randint(0, 40, [3, 12], generator: new Generator(7));

    [Fact]
    public void With_B_zero_the_adapted_model_equals_the_base_model_exactly()
    {
        using var plain = new GptNet(Tiny);
        using var adapted = new GptNet(Tiny, new LoraSpec(4, 8, 0, LoraTargets.All));
        using (var weights = ParameterSet.From(plain))
        {
            weights.CopyTo(adapted);
        }

        plain.eval();
        adapted.eval();
        using var tokens = Tokens();
        using var expected = plain.forward(tokens);
        using var actual = adapted.forward(tokens);

        Assert.True(actual.equal(expected).all().item<bool>());
    }

    [Fact]
    public void Only_adapter_parameters_train_and_receive_gradients()
    {
        using var model = new GptNet(Tiny, new LoraSpec(4, 8, 0, LoraTargets.Attention));
        using var tokens = Tokens();
        using var loss = model.forward(tokens).square().mean();
        loss.backward();

        var parameters = model.named_parameters().ToArray();
        Assert.All(parameters, p => Assert.Equal(GptNet.IsAdapter(p.name), p.parameter.requires_grad));
        Assert.All(parameters, p => Assert.Equal(GptNet.IsAdapter(p.name), p.parameter.grad is not null));
        Assert.Equal(2 * 4 * 2, parameters.Count(p => GptNet.IsAdapter(p.name))); // 2 layers × q,k,v,out × (A, B)
        Assert.DoesNotContain(parameters, p => p.name.Contains("mlp", StringComparison.Ordinal) && GptNet.IsAdapter(p.name));
    }

    [Fact]
    public void Merged_weight_gives_the_adapter_path_output()
    {
        using var layer = new LoraLinear(6, 5, new LoraSpec(2, 3, 0, LoraTargets.All));
        using (no_grad())
        {
            foreach (var (name, p) in layer.named_parameters().Where(p => p.name == "lora_B"))
            {
                p.copy_(randn(p.shape, generator: new Generator(3)));
            }
        }

        using var x = randn([4, 6], generator: new Generator(4));
        using var adapted = layer.forward(x);
        using var merged = layer.MergedWeight();
        using var expected = nn.functional.linear(x, merged, layer.Bias);

        Assert.False(adapted.allclose(nn.functional.linear(x, layer.named_parameters().First(p => p.name == "weight").parameter, layer.Bias)));
        Assert.True(adapted.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }
}
