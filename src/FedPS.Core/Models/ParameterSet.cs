using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// An ordered set of named tensors detached from any module: what a server sends and a client returns.
/// Names follow the module's <c>named_parameters()</c>, as in a PyTorch state dict.
/// </summary>
public sealed class ParameterSet : IDisposable
{
    private readonly IReadOnlyList<(string Name, Tensor Value)> tensors;
    private TensorLayout[]? layout;
    private bool released;

    public ParameterSet(IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        this.tensors = tensors;
    }

    /// <summary>The named tensors; a set already released (its round completed) says so instead of handing out freed tensors.</summary>
    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyList<(string Name, Tensor Value)> Tensors => released
        ? throw new FedPSException(FedErrorKind.InvalidOperation,
            $"These {tensors.Count} tensors were released when the round they belong to completed (or their owner was disposed); " +
            "use the round's result or the server's global parameters instead.", this)
        : tensors;

    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    [Newtonsoft.Json.JsonIgnore]
    public IEnumerable<Tensor> Values => Tensors.Select(t => t.Value);

    /// <summary>The tensors with their shapes and first values, for display (<c>$set.Entries</c>).</summary>
    public IReadOnlyList<ParameterTensor> Entries => Tensors.Select(t => new ParameterTensor(t.Name, t.Value)).ToArray();

    public long ElementCount => Tensors.Sum(t => t.Value.numel());

    /// <summary>Bytes on the wire, at each tensor's element size (4 for float32).</summary>
    public long ByteCount => Tensors.Sum(t => t.Value.numel() * t.Value.ElementSize);

    /// <summary>The tensor named <paramref name="name"/> (a view, not a copy).</summary>
    public Tensor this[string name] =>
        Tensors.FirstOrDefault(t => t.Name == name).Value
        ?? throw new FedPSException(FedErrorKind.ObjectNotFound,
            $"There is no tensor named '{name}'. The tensors are: {string.Join(", ", Names)}.", name);

    /// <summary>Copies the module's parameters (all, or only those that train, e.g. LoRA adapters).</summary>
    public static ParameterSet From(nn.Module module, bool trainableOnly = false) =>
        From(module.named_parameters().Where(p => !trainableOnly || p.parameter.requires_grad));

    /// <summary>Copies these named parameters' values (e.g. a list a caller enumerated from its module once).</summary>
    public static ParameterSet From(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        using var _ = no_grad();
        return new ParameterSet(parameters.Select(p => (p.Name, p.Parameter.detach().clone())).ToArray());
    }

    /// <summary>
    /// A set from plain numbers, as scripts write them: each name maps to one value or a list of values, which
    /// become a float64 vector (a single value a 1-element vector).
    /// </summary>
    public static ParameterSet FromValues(IEnumerable<KeyValuePair<string, double[]>> values)
    {
        var tensors = values.Select(v => (v.Key, v.Value.Length > 0
                ? tensor(v.Value, dtype: ScalarType.Float64)
                : throw new FedPSException(FedErrorKind.InvalidArgument, $"The parameter '{v.Key}' has no values.", v.Key)))
            .ToArray();
        if (tensors.Length == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "A parameter set needs at least one named tensor.", values);
        }

        return new ParameterSet(tensors);
    }

    /// <summary>The values of tensor <paramref name="name"/>, flattened, as double (for scripts and tests).</summary>
    public double[] ToArray(string name)
    {
        using var values = this[name].detach().cpu().to_type(ScalarType.Float64).flatten();
        return values.data<double>().ToArray();
    }

    /// <summary>Writes these values into the module's parameters of the same names.</summary>
    public void CopyTo(nn.Module module) => CopyTo(module.named_parameters().ToDictionary(p => p.name, p => p.parameter));

    /// <summary>Writes these values into the parameters of the same names (a module's, enumerated once by the caller).</summary>
    public void CopyTo(IReadOnlyDictionary<string, Parameter> parameters)
    {
        using var _ = no_grad();
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

    /// <summary>A new set with <paramref name="map"/> applied to each tensor (names kept).</summary>
    public ParameterSet Map(Func<string, Tensor, Tensor> map)
    {
        using var _ = no_grad();
        return new ParameterSet(Tensors.Select(t => (t.Name, map(t.Name, t.Value))).ToArray());
    }

    /// <summary>this − <paramref name="other"/>, tensor by tensor.</summary>
    public ParameterSet Subtract(ParameterSet other)
    {
        EnsureLike(other, "subtract");
        return Map((name, value) => value.sub(other[name]));
    }

    /// <summary>The L2 norm over every element of every tensor.</summary>
    public double Norm() => Math.Sqrt(SumOfSquares(Values.Select(v => v.square())));

    /// <summary>
    /// The L2 distance ‖this − <paramref name="other"/>‖ over all elements, in one host read. It is NaN or infinite
    /// when an element of either set is, so a finite distance also shows both sets are finite.
    /// </summary>
    public double DistanceTo(ParameterSet other)
    {
        EnsureLike(other, "measure a distance");
        return Math.Sqrt(SumOfSquares(Tensors.Select((t, i) => t.Value.sub(other.Tensors[i].Value).pow_(2))));
    }

    // Σ over tensors of their element sums, read once. Each tensor is summed in its own dtype (libtorch's cascade
    // summation, relative error ~1e-7 for float32), the sums combined in float64: asking for a float64 sum of a float32
    // tensor makes libtorch copy the whole tensor to float64 first, which more than doubled the cost of an update's norm.
    private static double SumOfSquares(IEnumerable<Tensor> squares)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var sums = squares.Select(s => s.sum().to_type(ScalarType.Float64)).ToArray();
        return sums.Length == 0 ? 0 : stack(sums).sum().item<double>();
    }

    /// <summary>True when every element of every tensor is finite (one host read for the whole set).</summary>
    public bool AllFinite() => AreFinite(Values);

    /// <summary>True when every element of every tensor is finite (one host read for all of them).</summary>
    public static bool AreFinite(IEnumerable<Tensor> tensors)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var checks = tensors.Select(t => t.isfinite().all()).ToArray();
        return checks.Length == 0 || stack(checks).all().item<bool>();
    }

    /// <summary>Fails, naming the first difference, unless <paramref name="other"/> has the same names, shapes and dtypes in the same order.</summary>
    public void EnsureLike(ParameterSet other, string what)
    {
        if (Describe(other) is { } difference)
        {
            throw new FedPSException(FedErrorKind.InvalidData, $"Cannot {what}: {difference}.", other);
        }
    }

    /// <summary>The first way <paramref name="other"/> differs from this set in names, shapes or dtypes, or null.</summary>
    public string? Describe(ParameterSet other)
    {
        var mine = Layout;
        var theirs = other.Layout;
        if (theirs.Length != mine.Length)
        {
            return $"expected {mine.Length} tensors ({string.Join(", ", Names)}), got {theirs.Length} ({string.Join(", ", other.Names)})";
        }

        for (var i = 0; i < mine.Length; i++)
        {
            var (name, shape, dtype) = mine[i];
            var (otherName, otherShape, otherDtype) = theirs[i];
            if (name != otherName)
            {
                return $"tensor {i + 1} is '{otherName}', expected '{name}'";
            }

            if (!shape.SequenceEqual(otherShape))
            {
                return $"'{name}' is shaped [{string.Join(", ", otherShape)}], expected [{string.Join(", ", shape)}]";
            }

            if (dtype != otherDtype)
            {
                return $"'{name}' holds {otherDtype}, expected {dtype}";
            }
        }

        return null;
    }

    // Names, shapes and dtypes, read from the tensors once: a set's tensors are never reshaped in place, and asking
    // libtorch for a shape is a native call per tensor, which EnsureLike would otherwise pay several times per update.
    private TensorLayout[] Layout => layout ??= Tensors.Select(t => new TensorLayout(t.Name, t.Value.shape, t.Value.dtype)).ToArray();

    private readonly record struct TensorLayout(string Name, long[] Shape, ScalarType DType);

    public override string ToString() => released
        ? string.Create(CultureInfo.InvariantCulture, $"{tensors.Count} tensors, released")
        : string.Create(CultureInfo.InvariantCulture, $"{tensors.Count} tensors, {ElementCount:N0} values");

    public void Dispose()
    {
        released = true;
        foreach (var (_, value) in tensors)
        {
            value.Dispose();
        }
    }
}

/// <summary>One named tensor of a <see cref="ParameterSet"/>, as PowerShell lists and formats it.</summary>
public sealed record ParameterTensor(string Name, [property: Newtonsoft.Json.JsonIgnore] Tensor Value)
{
    public string Shape => Value.shape.Length == 0 ? "scalar" : string.Join("×", Value.shape);

    public long Count => Value.numel();

    public string DType => Value.dtype.ToString();

    /// <summary>The first values, for display.</summary>
    public string Preview
    {
        get
        {
            using var _ = no_grad();
            using var head = Value.detach().flatten().narrow(0, 0, Math.Min(4, Value.numel())).cpu().to_type(ScalarType.Float64);
            var values = head.data<double>().ToArray().Select(v => v.ToString("G4", CultureInfo.InvariantCulture));
            return string.Join(", ", values) + (Value.numel() > 4 ? ", …" : string.Empty);
        }
    }
}
