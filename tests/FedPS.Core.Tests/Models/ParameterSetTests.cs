using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Models;

public sealed class ParameterSetTests
{
    private static ParameterSet Set(params float[] values) =>
        new([("w", tensor(values[..2])), ("b", tensor(values[2..]))]);

    [Fact]
    public void The_running_average_equals_the_sample_weighted_mean_exactly()
    {
        // Dyadic values and weights: the float32 result must be exact.
        using var a = Set(1f, 2f, -4f);
        using var b = Set(3f, 6f, 8f);
        using var c = Set(-1f, 0.5f, 0f);

        using var mean = RunningAverage.Of([a, b, c], [1, 2, 1]);

        Assert.Equal(new[] { 1.5f, 3.625f }, mean.Tensors[0].Value.data<float>().ToArray());
        Assert.Equal(new[] { 3f }, mean.Tensors[1].Value.data<float>().ToArray());
        Assert.Equal(["w", "b"], mean.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Copies_into_and_out_of_a_module_round_trip()
    {
        using var module = nn.Linear(3, 2);
        using var zeros = new ParameterSet(module.named_parameters().Select(p => (p.name, zeros_like(p.parameter))).ToArray());

        zeros.CopyTo(module);
        using var read = ParameterSet.From(module);

        Assert.All(read.Values, t => Assert.Equal(0f, t.abs().sum().item<float>()));
        Assert.Equal(8 * sizeof(float), read.ByteCount);
    }

    [Fact]
    public void Detects_non_finite_values()
    {
        using var finite = Set(1f, 2f, 3f);
        using var broken = Set(1f, float.NaN, 3f);
        Assert.True(finite.AllFinite());
        Assert.False(broken.AllFinite());
    }
}
