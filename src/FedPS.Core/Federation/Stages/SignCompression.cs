using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// 1-bit compression, sign and scale (Seide, Fu, Droppo, Li, Yu 2014, "1-Bit Stochastic Gradient Descent"; the scaled
/// sign of Karimireddy, Rebjock, Stich, Jaggi 2019, "Error Feedback Fixes SignSGD", bucket by bucket): for a bucket v
/// of B values,
/// <code>
///   C(v) = (‖v‖₁ / B) · sign(v)       (sign(0) = +1)
///   bytes = 4 per bucket (the scale) + ⌈d/8⌉ (one bit per value)
/// </code>
/// Biased: use it with error feedback (<see cref="UpdateCompression"/>), which is what makes sign compression converge.
/// </summary>
public sealed class SignCompression(int bucketSize) : Compressor
{
    public int BucketSize { get; } = bucketSize;

    public override Tensor Roundtrip(Tensor flat, Generator generator)
    {
        using var scope = NewDisposeScope();
        var count = flat.shape[0];
        var rows = AsBuckets(flat, BucketSize);
        // each bucket's number of real (unpadded) values: B, and what is left for the last
        var sizes = arange(rows.shape[0], dtype: rows.dtype, device: rows.device).mul_(BucketSize).neg_().add_(count).clamp_max_(BucketSize).unsqueeze(1);
        var scale = rows.abs().sum(1, keepdim: true).div_(sizes);
        var decoded = where(rows.ge(0), scale, scale.neg());
        return FromBuckets(decoded, count).clone().MoveToOuterDisposeScope();
    }

    public override long WireBytes(long count, int valueBytes) => (Buckets(count, BucketSize) * ScaleBytes) + Bytes(count);
}
