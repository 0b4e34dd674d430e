using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Models;

public sealed class GptNetTests
{
    [Fact]
    public void Changing_a_future_token_never_changes_an_earlier_positions_logits()
    {
        using var model = new GptNet(new GptConfig(30, 10, 2, 2, 16, "Byte"));
        model.eval();
        using var tokens = randint(0, 30, [2, 10], generator: new Generator(1));
        using var changed = tokens.clone();
        changed[TensorIndex.Colon, 6] = (tokens[TensorIndex.Colon, 6] + 1) % 30;

        using var before = model.forward(tokens);
        using var after = model.forward(changed);

        Assert.True(before[TensorIndex.Colon, TensorIndex.Slice(0, 6)].equal(after[TensorIndex.Colon, TensorIndex.Slice(0, 6)]).all().item<bool>());
        Assert.False(before[TensorIndex.Colon, 6].equal(after[TensorIndex.Colon, 6]).all().item<bool>());
    }

    [Fact]
    public void Logits_cover_the_vocabulary_at_every_position()
    {
        using var model = new GptNet(new GptConfig(30, 10, 1, 2, 8, "Byte"));
        using var tokens = zeros([3, 7], dtype: ScalarType.Int64);

        using var logits = model.forward(tokens);

        Assert.Equal(new long[] { 3, 7, 30 }, logits.shape);
    }

    [Fact]
    public void New_gpt_counts_only_adapters_as_trainable()
    {
        var model = new FedModel(ModelSpec.ForGpt(new GptConfig(257, 16, 2, 2, 32, "Byte"), new LoraSpec(8, 16, 0, LoraTargets.Attention)), 0);

        Assert.Equal(2 * 4 * 8 * (32 + 32), model.TrainableParameterCount);
        Assert.True(model.ParameterCount > 5 * model.TrainableParameterCount);
    }
}
