using FedPS.Core.Data;
using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Models;

public sealed class ModelSpecTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_hidden_width_below_one_is_refused_before_libtorch_sees_it(int width)
    {
        var error = Assert.Throws<FedPSException>(() => new FedModel(new ModelSpec("Mlp", [1, 8, 8], 10, [width]), 1));

        Assert.Equal(FedErrorKind.InvalidArgument, error.Kind);
        Assert.Contains($"(got {width})", error.Message);
    }

    [Theory]
    [InlineData(new[] { 1, 8, 8 }, new[] { 2_000_000_000 })]
    [InlineData(new[] { 100_000, 100_000, 100_000 }, new[] { 64 })]
    public void A_model_too_large_for_memory_is_refused_before_anything_is_allocated(int[] input, int[] hidden)
    {
        var error = Assert.Throws<FedPSException>(() => new FedModel(new ModelSpec("Mlp", input, 10, hidden), 1));

        Assert.Equal(FedErrorKind.LimitExceeded, error.Kind);
        Assert.Contains("MiB of memory available", error.Message);
    }

    public static TheoryData<ModelSpec> Specs() => new()
    {
        new ModelSpec("Mlp", [1, 8, 8], 10, [32, 16]),
        new ModelSpec("Cnn", [1, 28, 28], 10, []),
        new ModelSpec("Cnn", [3, 9, 7], 4, []),
        ModelSpec.ForGpt(new GptConfig(50, 12, 2, 2, 16, "Byte")),
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public void The_parameter_count_computed_from_the_spec_is_the_built_network_s(ModelSpec spec) =>
        Assert.Equal(new FedModel(spec, 1).ParameterCount, spec.ParameterCount());

    [Fact]
    public void An_image_model_refuses_text_with_a_reason_instead_of_failing_inside_libtorch()
    {
        using var tokens = zeros([4, 8], ScalarType.Int64);
        var text = new FedDataset("corpus", "train", tokens, tokens.clone(), Enumerable.Range(0, 256).Select(i => i.ToString()).ToArray());
        var model = new FedModel(new ModelSpec("Mlp", [8], 256, [16]), 1);

        var error = Assert.Throws<FedPSException>(() => model.EnsureAccepts(text));

        Assert.Equal(FedErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("token sequences", error.Message);
    }
}
