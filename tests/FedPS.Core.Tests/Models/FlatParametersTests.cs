using FedPS.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Models;

public sealed class FlatParametersTests
{
    private static float[] Flatten(IEnumerable<Tensor> tensors) => tensors.SelectMany(t => t.detach().flatten().data<float>().ToArray()).ToArray();

    [Fact]
    public void Parameters_keep_their_values_and_become_views_of_one_buffer()
    {
        using var layer = nn.Linear(3, 2);
        var parameters = layer.parameters().ToArray();
        var before = Flatten(parameters);

        using var flat = new FlatParameters(parameters);

        Assert.Single(flat.Values);
        Assert.Equal(before, Flatten(flat.Values));
        Assert.Equal(before, Flatten(layer.parameters()));
        using (no_grad())
        {
            flat.Values[0].add_(1);
        }

        Assert.Equal(before.Select(v => v + 1), Flatten(layer.parameters()));
    }

    [Fact]
    public void Backward_accumulates_into_the_flat_gradient_buffer()
    {
        using var layer = nn.Linear(3, 2);
        using var flat = new FlatParameters(layer.parameters().ToArray());

        layer.forward(ones(4, 3)).sum().backward();

        var gradients = layer.parameters().Select(p => p.grad!).ToArray();
        Assert.Equal(Flatten(gradients), Flatten(flat.Gradients));
        Assert.Equal(new[] { 4f, 4f }, gradients[1].data<float>().ToArray()); // the bias: 4 rows of 1
    }

    [Fact]
    public void A_gradient_replaced_or_removed_from_outside_is_taken_in_at_the_next_sync()
    {
        var a = new Parameter(zeros(2));
        var b = new Parameter(zeros(3));
        using var flat = new FlatParameters([a, b]);
        a.grad = tensor(new[] { 1f, 2f });
        b.grad = null;

        flat.SyncGradients();

        Assert.Equal(new[] { 1f, 2f, 0f, 0f, 0f }, Flatten(flat.Gradients));
        using (no_grad())
        {
            flat.Gradients[0].add_(1);
        }

        Assert.Equal(new[] { 2f, 3f }, a.grad!.data<float>().ToArray()); // a view again
    }

    [Fact]
    public void Each_dtype_gets_a_buffer_of_its_own()
    {
        var single = new Parameter(ones(2));
        var twice = new Parameter(ones(3, dtype: ScalarType.Float64));
        var other = new Parameter(ones(4));

        using var flat = new FlatParameters([single, twice, other]);

        Assert.Equal(2, flat.Values.Count);
        Assert.Equal([6L, 3L], flat.Values.Select(v => v.numel()));
        Assert.Equal([0, 1, 0], flat.Layout.Slots.Select(s => s.Group));
    }
}
