using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// One way to encode an update for the wire (one file per method): <see cref="Roundtrip"/> gives what the server
/// decodes from a flat vector, <see cref="WireBytes"/> what the encoding costs. Bytes count what would go over a wire:
/// values, indices and scales, packed to the bit; scales travel as float32.
/// </summary>
public abstract class Compressor
{
    /// <summary>Bytes of one scale (a norm, a range end, a mean magnitude): float32.</summary>
    protected const int ScaleBytes = 4;

    /// <summary>The decoded vector for a flat vector <paramref name="flat"/>; random draws (stochastic rounding) come from <paramref name="generator"/>.</summary>
    public abstract Tensor Roundtrip(Tensor flat, Generator generator);

    /// <summary>The encoded size of a vector of <paramref name="count"/> values of <paramref name="valueBytes"/> bytes each.</summary>
    public abstract long WireBytes(long count, int valueBytes);

    /// <summary>⌈bits / 8⌉.</summary>
    protected static long Bytes(long bits) => (bits + 7) / 8;

    /// <summary>⌈log₂ n⌉ for n ≥ 1 (bits to index n positions; 0 for one).</summary>
    protected static int Bits(long n) => n <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(n - 1));

    /// <summary>The number of buckets of <paramref name="size"/> values in <paramref name="count"/> values.</summary>
    protected static long Buckets(long count, int size) => (count + size - 1) / size;

    /// <summary><paramref name="flat"/> padded with zeros to whole buckets, as rows of <paramref name="size"/>.</summary>
    protected static Tensor AsBuckets(Tensor flat, int size)
    {
        var count = flat.shape[0];
        var padded = Buckets(count, size) * size;
        var rows = padded == count ? flat : nn.functional.pad(flat, [0, padded - count]);
        return rows.view(-1, size);
    }

    /// <summary>The first <paramref name="count"/> values of bucket rows, flat again.</summary>
    protected static Tensor FromBuckets(Tensor rows, long count) => rows.reshape(-1).narrow(0, 0, count);
}
