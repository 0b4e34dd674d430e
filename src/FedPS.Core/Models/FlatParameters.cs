using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// Makes a list of parameters, and their gradients, views into one flat buffer per dtype and device
/// (<see cref="FlatLayout"/>), so that an optimizer updates them all with a few large tensor operations. The
/// parameters keep their values and stay the same <see cref="Parameter"/> objects (only their storage moves); backward
/// accumulates into the gradient views in place. The parameters keep the flat storage after this object is disposed.
/// </summary>
public sealed class FlatParameters : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor[] valueViews;
    private readonly Tensor[] gradientViews;

    public FlatParameters(IReadOnlyList<Parameter> parameters)
    {
        this.parameters = [.. parameters];
        Layout = FlatLayout.Of(parameters);
        Values = Layout.Empty();
        Gradients = Layout.Zeros();
        valueViews = Layout.Views(Values);
        gradientViews = Layout.Views(Gradients);
        using var _ = no_grad();
        for (var i = 0; i < this.parameters.Length; i++)
        {
            var p = this.parameters[i];
            valueViews[i].copy_(p);
            p.set_(valueViews[i]);
            Rebind(i);
        }
    }

    public FlatLayout Layout { get; }

    /// <summary>The parameters' values, one flat tensor per group of <see cref="Layout"/>.</summary>
    public IReadOnlyList<Tensor> Values { get; }

    /// <summary>The parameters' gradients, one flat tensor per group of <see cref="Layout"/>.</summary>
    public IReadOnlyList<Tensor> Gradients { get; }

    public void ZeroGradients()
    {
        foreach (var g in Gradients)
        {
            g.zero_();
        }
    }

    /// <summary>
    /// Puts back the views of any parameter whose gradient was replaced by another tensor since (copying its values
    /// in) or removed (zeros), so <see cref="Gradients"/> holds the current gradients.
    /// </summary>
    public void SyncGradients()
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            using var grad = parameters[i].grad;
            if (grad is null || !SameMemory(grad, gradientViews[i]))
            {
                Rebind(i);
            }
        }
    }

    private void Rebind(int i)
    {
        using var _ = no_grad();
        using var current = parameters[i].grad;
        if (current is null)
        {
            gradientViews[i].zero_();
        }
        else
        {
            gradientViews[i].copy_(current);
        }

        parameters[i].grad = gradientViews[i];
    }

    // TorchSharp exposes no data pointer on a tensor, only on its typed storage; other dtypes count as different.
    private static bool SameMemory(Tensor a, Tensor b) =>
        a.storage_offset() == b.storage_offset() && StorageAddress(a) is var address && address != IntPtr.Zero && address == StorageAddress(b);

    private static IntPtr StorageAddress(Tensor t)
    {
        switch (t.dtype)
        {
            case ScalarType.Float32:
            {
                using var storage = t.storage<float>();
                return storage.data_ptr();
            }

            case ScalarType.Float64:
            {
                using var storage = t.storage<double>();
                return storage.data_ptr();
            }

            default:
                return IntPtr.Zero;
        }
    }

    public void Dispose()
    {
        foreach (var t in valueViews.Concat(gradientViews).Concat(Values).Concat(Gradients))
        {
            t.Dispose();
        }
    }
}
