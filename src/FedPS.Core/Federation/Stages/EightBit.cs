using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// 8-bit uniform quantization with stochastic rounding (as TFF's uniform-quantization encoder; Suresh, Yu, Kumar,
/// McMahan 2017, "Distributed Mean Estimation with Limited Communication", π_sb with k = 256 levels), bucket by bucket:
/// with m = min v and M = max v of a bucket and Δ = (M − m)/255,
/// <code>
///   Q(vᵢ) = m + Δ·⌊(vᵢ − m)/Δ + uᵢ⌋,   uᵢ ~ U[0, 1)        E[Q(v)] = v  (unbiased)
///   bytes = 8 per bucket (m and M) + d (one byte per value)
/// </code>
/// </summary>
public sealed class EightBit(int bucketSize) : Compressor
{
    private const int Steps = 255;

    public int BucketSize { get; } = bucketSize;

    public override Tensor Roundtrip(Tensor flat, Generator generator)
    {
        using var scope = NewDisposeScope();
        var rows = AsBuckets(flat, BucketSize);
        var low = rows.amin([1], keepdim: true);
        var step = rows.amax([1], keepdim: true).sub_(low).div_(Steps);
        var draws = rand(rows.shape, dtype: ScalarType.Float64, generator: generator).to(rows.dtype, rows.device);
        var levels = rows.sub(low).div_(step.clamp_min(float.Epsilon)).add_(draws).floor_().clamp_(0, Steps);
        var decoded = low.add(levels.mul_(step));
        return FromBuckets(decoded, flat.shape[0]).clone().MoveToOuterDisposeScope();
    }

    public override long WireBytes(long count, int valueBytes) => (Buckets(count, BucketSize) * 2 * ScaleBytes) + count;
}
