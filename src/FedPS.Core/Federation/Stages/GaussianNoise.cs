using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Seeded Gaussian noise shaped like a parameter set: N(0, σ²) per element, drawn on the CPU from one generator in
/// tensor order (so the same seed gives the same noise on every device) and moved to each tensor's device and dtype.
/// </summary>
public static class GaussianNoise
{
    /// <summary>New tensors shaped like <paramref name="like"/>'s, each element N(0, <paramref name="std"/>²); the caller owns them.</summary>
    public static ParameterSet Like(ParameterSet like, double std, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return like.Map((_, value) =>
        {
            using var drawn = randn(value.shape, dtype: ScalarType.Float64, generator: generator);
            return drawn.mul_(std).to(value.dtype, value.device);
        });
    }

    /// <summary>One N(0, <paramref name="std"/>²) draw.</summary>
    public static double Scalar(double std, long seed)
    {
        using var generator = new Generator((ulong)seed);
        using var drawn = randn(1, dtype: ScalarType.Float64, generator: generator);
        return drawn.item<double>() * std;
    }
}
