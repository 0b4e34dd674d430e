using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// An ordered set of named tensors detached from any module: what a server sends and a client returns.
/// Names follow the module's <c>named_parameters()</c>, as in a PyTorch state dict.
/// </summary>
public sealed class ParameterSet : IDisposable
{
    public ParameterSet(IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        Tensors = tensors;
    }

    public IReadOnlyList<(string Name, Tensor Value)> Tensors { get; }

    public IEnumerable<Tensor> Values => Tensors.Select(t => t.Value);

    public long ElementCount => Tensors.Sum(t => t.Value.numel());

    /// <summary>Bytes on the wire, at each tensor's element size (4 for float32).</summary>
    public long ByteCount => Tensors.Sum(t => t.Value.numel() * t.Value.ElementSize);

    /// <summary>Copies the module's parameters (all, or only those that train, e.g. LoRA adapters).</summary>
    public static ParameterSet From(nn.Module module, bool trainableOnly = false)
    {
        using var _ = no_grad();
        return new ParameterSet(module.named_parameters()
            .Where(p => !trainableOnly || p.parameter.requires_grad)
            .Select(p => (p.name, p.parameter.detach().clone()))
            .ToArray());
    }

    /// <summary>Writes these values into the module's parameters of the same names.</summary>
    public void CopyTo(nn.Module module)
    {
        using var _ = no_grad();
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in Tensors)
        {
            if (!parameters.TryGetValue(name, out var target))
            {
                throw new FedPSException(FedErrorKind.InvalidArgument, $"The model has no parameter named '{name}'.", name);
            }

            target.copy_(value);
        }
    }

    public ParameterSet Clone()
    {
        using var _ = no_grad();
        return new ParameterSet(Tensors.Select(t => (t.Name, t.Value.clone())).ToArray());
    }

    /// <summary>Σ wᵢ·setᵢ / Σ wᵢ, tensor by tensor (FedAvg's aggregation).</summary>
    public static ParameterSet WeightedAverage(IReadOnlyList<ParameterSet> sets, IReadOnlyList<double> weights)
    {
        if (sets.Count == 0 || sets.Count != weights.Count)
        {
            throw new ArgumentException("need one weight per parameter set, and at least one set");
        }

        var total = weights.Sum();
        if (!(total > 0))
        {
            throw new ArgumentException("the weights must sum to a positive number");
        }

        using var _ = no_grad();
        var result = new List<(string, Tensor)>();
        for (var t = 0; t < sets[0].Tensors.Count; t++)
        {
            var (name, first) = sets[0].Tensors[t];
            var sum = first.mul(weights[0] / total);
            for (var s = 1; s < sets.Count; s++)
            {
                sum.add_(sets[s].Tensors[t].Value, alpha: weights[s] / total);
            }

            result.Add((name, sum));
        }

        return new ParameterSet(result);
    }

    /// <summary>True when every element of every tensor is finite.</summary>
    public bool AllFinite()
    {
        using var _ = no_grad();
        return Tensors.All(t => t.Value.isfinite().all().item<bool>());
    }

    public void Dispose()
    {
        foreach (var (_, value) in Tensors)
        {
            value.Dispose();
        }
    }
}
