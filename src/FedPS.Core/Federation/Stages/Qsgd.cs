using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// QSGD (Alistarh, Grubic, Li, Tomioka, Vojnovic 2017, "QSGD: Communication-Efficient SGD via Gradient Quantization
/// and Encoding", Section 3.1), bucket by bucket: for a bucket v with s levels,
/// <code>
///   Q_s(vᵢ) = ‖v‖₂ · sign(vᵢ) · ξᵢ / s,   ξᵢ = ℓ + 1 with probability s|vᵢ|/‖v‖₂ − ℓ, else ℓ,   ℓ = ⌊s|vᵢ|/‖v‖₂⌋
///   E[Q_s(v)] = v  (unbiased);   bytes = 4 per bucket (the norm) + ⌈d·(1 + ⌈log₂(s+1)⌉)/8⌉ (sign and level, fixed width)
/// </code>
/// Fixed-width levels rather than the paper's Elias coding: simpler, and never smaller than this count.
/// </summary>
public sealed class Qsgd(int levels, int bucketSize) : Compressor
{
    public int Levels { get; } = levels;

    public int BucketSize { get; } = bucketSize;

    public override Tensor Roundtrip(Tensor flat, Generator generator)
    {
        using var scope = NewDisposeScope();
        var rows = AsBuckets(flat, BucketSize);
        var norms = rows.norm(1, keepdim: true, p: 2);
        var scaled = rows.abs().div(norms.clamp_min(float.Epsilon)).mul_(Levels);
        var draws = rand(rows.shape, dtype: ScalarType.Float64, generator: generator).to(rows.dtype, rows.device);
        var quantized = scaled.add_(draws).floor_().clamp_max_(Levels);
        var decoded = rows.sign().mul_(quantized).mul_(norms).div_(Levels);
        return FromBuckets(decoded, flat.shape[0]).clone().MoveToOuterDisposeScope();
    }

    public override long WireBytes(long count, int valueBytes) =>
        (Buckets(count, BucketSize) * ScaleBytes) + Bytes(count * (1 + Bits(Levels + 1)));
}
