using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Top-k sparsification (Aji and Heafield 2017, "Sparse Communication for Distributed Gradient Descent"; Stich,
/// Cordonnier, Jaggi 2018, "Sparsified SGD with Memory"): of the update's d values (all tensors as one vector) only the
/// K = ⌈k·d⌉ of largest magnitude are sent, the rest are zero:
/// <code>
///   C(v)ᵢ = vᵢ if |vᵢ| is among the K largest, else 0
///   bytes = 4 (K) + K·b (values) + min(⌈K·⌈log₂d⌉/8⌉, ⌈d/8⌉) (positions: packed indices or a bitmap; none when K = d)
/// </code>
/// Biased; error feedback (<see cref="UpdateCompression"/>) sends what it drops later.
/// </summary>
public sealed class TopK(double ratio) : Compressor
{
    public double Ratio { get; } = ratio;

    public long Keep(long count) => Math.Clamp((long)Math.Ceiling(Ratio * count), 1, count);

    public override Tensor Roundtrip(Tensor flat, Generator generator)
    {
        var keep = Keep(flat.shape[0]);
        if (keep == flat.shape[0])
        {
            return flat.clone();
        }

        using var indices = flat.abs().topk((int)keep).indexes;
        return zeros_like(flat).index_copy_(0, indices, flat.index_select(0, indices));
    }

    public override long WireBytes(long count, int valueBytes)
    {
        var keep = Keep(count);
        var positions = keep == count ? 0 : Math.Min(Bytes(keep * Bits(count)), Bytes(count));
        return ScaleBytes + (keep * valueBytes) + positions;
    }
}
