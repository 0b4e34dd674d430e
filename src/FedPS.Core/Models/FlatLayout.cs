using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// Where each of a list of tensors lives in one flat buffer per (dtype, device): the buffer (group) and the
/// element offset. Element-wise work over many tensors (an optimizer's update, an average) then runs as a few
/// large tensor operations on the flat buffers, and each tensor is a view into them.
/// </summary>
public sealed class FlatLayout
{
    private FlatLayout(Slot[] slots, Group[] groups)
    {
        Slots = slots;
        Groups = groups;
    }

    /// <summary>One tensor's place: its group, its first element there, and its shape.</summary>
    public readonly record struct Slot(int Group, long Offset, long[] Shape)
    {
        public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>One flat buffer: its element type, device and length.</summary>
    public sealed record Group(ScalarType DType, Device Device, long Count);

    public IReadOnlyList<Slot> Slots { get; }

    public IReadOnlyList<Group> Groups { get; }

    /// <summary>The layout of <paramref name="tensors"/>, in order: each appended to the group of its dtype and device.</summary>
    public static FlatLayout Of(IEnumerable<Tensor> tensors)
    {
        var groups = new List<Group>();
        var slots = new List<Slot>();
        foreach (var t in tensors)
        {
            var index = groups.FindIndex(g => g.DType == t.dtype && g.Device.ToString() == t.device.ToString());
            if (index < 0)
            {
                groups.Add(new Group(t.dtype, t.device, 0));
                index = groups.Count - 1;
            }

            slots.Add(new Slot(index, groups[index].Count, t.shape));
            groups[index] = groups[index] with { Count = groups[index].Count + t.numel() };
        }

        return new FlatLayout([.. slots], [.. groups]);
    }

    /// <summary>True when <paramref name="other"/> places tensors of the same shapes in the same groups.</summary>
    public bool Matches(FlatLayout other) =>
        Groups.Count == other.Groups.Count
        && Groups.Zip(other.Groups).All(p => p.First.DType == p.Second.DType && p.First.Count == p.Second.Count)
        && Slots.Count == other.Slots.Count
        && Slots.Zip(other.Slots).All(p => p.First.Group == p.Second.Group && p.First.Shape.SequenceEqual(p.Second.Shape));

    /// <summary>New zero-filled flat buffers, one per group, outside any dispose scope (their owner disposes them).</summary>
    public Tensor[] Zeros()
    {
        using var _ = no_grad();
        return Groups.Select(g => zeros(g.Count, dtype: g.DType, device: g.Device).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>New uninitialised flat buffers, one per group, outside any dispose scope.</summary>
    public Tensor[] Empty()
    {
        using var _ = no_grad();
        return Groups.Select(g => empty(g.Count, dtype: g.DType, device: g.Device).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Each tensor's view into <paramref name="buffers"/> (shaped like the tensor), outside any dispose scope.</summary>
    public Tensor[] Views(IReadOnlyList<Tensor> buffers) => Slots.Select(s =>
    {
        using var slice = buffers[s.Group].narrow(0, s.Offset, s.Count);
        return slice.view(s.Shape).DetachFromDisposeScope();
    }).ToArray();
}
