using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>
/// A strategy's state as named tensors, for checkpoints: <see cref="FederatedStrategy.SaveState"/> adds to it and
/// <see cref="FederatedStrategy.LoadState"/> reads from it. A name missing on load is a clear error naming it.
/// </summary>
public sealed class StrategyState
{
    private readonly List<(string Name, Tensor Value)> tensors = [];
    private readonly Dictionary<string, Tensor> byName = new(StringComparer.Ordinal);

    public StrategyState()
    {
    }

    public StrategyState(IReadOnlyDictionary<string, Tensor> saved)
    {
        foreach (var (name, value) in saved)
        {
            Add(name, value);
        }
    }

    public IReadOnlyList<(string Name, Tensor Value)> Tensors => tensors;

    public IEnumerable<string> Names => tensors.Select(t => t.Name);

    public bool Contains(string name) => byName.ContainsKey(name);

    public void Add(string name, Tensor value)
    {
        if (!byName.TryAdd(name, value))
        {
            throw new FedPSException(FedErrorKind.InvalidOperation, $"The strategy state already has a tensor named '{name}'.", name);
        }

        tensors.Add((name, value));
    }

    /// <summary>Adds every tensor of <paramref name="set"/> under <paramref name="prefix"/> + its name.</summary>
    public void Add(string prefix, ParameterSet set)
    {
        foreach (var (name, value) in set.Tensors)
        {
            Add(prefix + name, value);
        }
    }

    public Tensor Get(string name) =>
        byName.TryGetValue(name, out var value)
            ? value
            : throw new FedPSException(FedErrorKind.InvalidData, $"The saved state has no tensor '{name}'.", name);

    /// <summary>Copies the saved tensors <paramref name="prefix"/> + name into <paramref name="target"/>'s tensors of those names.</summary>
    public void CopyTo(string prefix, ParameterSet target)
    {
        using var _ = no_grad();
        foreach (var (name, value) in target.Tensors)
        {
            var saved = Get(prefix + name);
            if (!saved.shape.SequenceEqual(value.shape))
            {
                throw new FedPSException(FedErrorKind.InvalidData,
                    $"The saved tensor '{prefix + name}' is shaped [{string.Join(", ", saved.shape)}], not [{string.Join(", ", value.shape)}].", prefix + name);
            }

            value.copy_(saved);
        }
    }

    /// <summary>The saved tensors whose names start with <paramref name="prefix"/>, with the prefix removed.</summary>
    public IEnumerable<(string Name, Tensor Value)> Under(string prefix) =>
        tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(t => (t.Name[prefix.Length..], t.Value));
}
