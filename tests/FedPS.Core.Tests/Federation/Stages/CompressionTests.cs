using FedPS.Core.Federation.Stages;
using TorchSharp;
using static FedPS.Core.Tests.Federation.Stages.StageKit;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Stages;

public sealed class CompressionTests
{
    private static double[] Roundtrip(Compressor compressor, double[] values, ulong seed = 1)
    {
        using var generator = new Generator(seed);
        using var flat = tensor(values, dtype: ScalarType.Float64);
        using var decoded = compressor.Roundtrip(flat, generator);
        return Values(decoded);
    }

    [Fact]
    public void Top_k_keeps_the_largest_magnitudes_and_counts_values_and_positions()
    {
        // k = 0.4 of 5 values: K = 2, the values −3 and 2. Bytes: 4 (K) + 2·8 (float64 values) + min(⌈2·3/8⌉, ⌈5/8⌉) = 21.
        var topK = new TopK(0.4);

        Assert.Equal([0, -3, 0, 2, 0], Roundtrip(topK, [0.1, -3, 0.5, 2, -0.2]));
        Assert.Equal(21, topK.WireBytes(5, 8));
        // 1% of an MLP's 199,210 float32 values: K = 1,993, 18-bit positions: 4 + 7,972 + ⌈1,993·18/8⌉ = 12,461 bytes.
        Assert.Equal(4 + (1993 * 4) + 4485, new TopK(0.01).WireBytes(199_210, 4));
        // k = 1 sends every value and no positions.
        Assert.Equal(4 + 40, new TopK(1).WireBytes(10, 4));
    }

    [Fact]
    public void Sign_compression_sends_each_buckets_mean_magnitude_with_the_signs()
    {
        Assert.Equal([2.5, -2.5, 2.5, -2.5], Roundtrip(new SignCompression(4), [1, -2, 3, -4]));
        Assert.Equal([1.5, -1.5, 3.5, -3.5, 5], Roundtrip(new SignCompression(2), [1, -2, 3, -4, 5]));
        Assert.Equal(4 + 1, new SignCompression(4).WireBytes(4, 4));
        Assert.Equal((3 * 4) + 1, new SignCompression(2).WireBytes(5, 4));
    }

    [Fact]
    public void Qsgd_and_eight_bit_count_their_scales_and_packed_levels()
    {
        // QSGD s = 15: 1 sign bit + 4 level bits per value; 1,000 values in 2 buckets of 512: 2·4 + ⌈1000·5/8⌉ = 633.
        Assert.Equal(633, new Qsgd(15, 512).WireBytes(1000, 4));
        Assert.Equal((2 * 4) + 250, new Qsgd(1, 512).WireBytes(1000, 4)); // s = 1: a sign bit and a 1-bit level
        // 8-bit: a byte per value and the two ends of each bucket's range.
        Assert.Equal((2 * 8) + 1000, new EightBit(512).WireBytes(1000, 4));
    }

    /// <summary>
    /// Unbiasedness, checked the way the issue asks: the mean of many seeded draws against the input, within five
    /// standard errors. For each value the decoded value takes one of two neighbouring levels L·a/s, so its variance is
    /// step²·p(1 − p) (step the level spacing, p the fractional part); the mean of M draws has standard error
    /// step·√(p(1 − p)/M). The M draws are M copies of the vector in one call (copies fill whole buckets, so each copy
    /// is quantized alone, with its own random draws). A value at a level (p = 0) is sent exactly, up to summation rounding.
    /// </summary>
    [Theory]
    [InlineData("Qsgd", 2)]
    [InlineData("Qsgd", 15)]
    [InlineData("EightBit", 0)]
    public void Stochastic_quantizers_are_unbiased(string method, int levels)
    {
        const int bucket = 16;
        const int copies = 20_000;
        using var generator = new Generator(5);
        var values = Values(randn([64], dtype: ScalarType.Float64, generator: generator));
        Compressor compressor = method == "Qsgd" ? new Qsgd(levels, bucket) : new EightBit(bucket);
        var decoded = Roundtrip(compressor, Enumerable.Repeat(values, copies).SelectMany(v => v).ToArray(), seed: 9);

        for (var i = 0; i < values.Length; i++)
        {
            var bucketValues = values.Skip(i / bucket * bucket).Take(bucket).ToArray();
            var (step, position) = method == "Qsgd"
                ? (Norm(bucketValues) / levels, Math.Abs(values[i]) / (Norm(bucketValues) / levels))
                : ((bucketValues.Max() - bucketValues.Min()) / 255, (values[i] - bucketValues.Min()) / ((bucketValues.Max() - bucketValues.Min()) / 255));
            var p = position - Math.Floor(position);
            var standardError = step * Math.Sqrt(p * (1 - p) / copies);
            var mean = Enumerable.Range(0, copies).Average(c => decoded[(c * values.Length) + i]);
            Assert.True(Math.Abs(mean - values[i]) <= (5 * standardError) + (1e-9 * (1 + Math.Abs(values[i]))), $"value {i}: mean {mean} vs {values[i]} (se {standardError})");
        }
    }

    [Fact]
    public void Error_feedback_carries_what_compression_dropped_into_the_next_round()
    {
        // Top-k with k = 0.5. Round 1: Δ = (1, −3, 0.5, 2) → sends (0, −3, 0, 2), keeps e = (1, 0, 0.5, 0).
        // Round 2: Δ = (1, 1, 1, 1) → p = Δ + e = (2, 1, 1.5, 1) → sends (2, 0, 1.5, 0), keeps e = (0, 1, 0, 1).
        using var stage = new UpdateCompression(new CompressionOptions { Method = CompressionMethod.TopK, Ratio = 0.5, ErrorFeedback = true });
        var clients = Clients(1);

        using (var round = Round(1, clients))
        using (var first = Update(0, [0, 0, 0, 0], [1, -3, 0.5, 2]))
        using (var sent = stage.Transform(first, seed: 1, round: 1))
        {
            Assert.Equal([0, -3, 0, 2], Values(sent.Parameters));
            Assert.Null(stage.Residual(0)); // committed only when the round completes
            stage.CompleteRound(round, new Dictionary<string, double>());
            Assert.Equal([1, 0, 0.5, 0], Values(stage.Residual(0)!));
        }

        using (var round = Round(2, clients))
        using (var second = Update(0, [5, 5, 5, 5], [6, 6, 6, 6]))
        using (var sent = stage.Transform(second, seed: 1, round: 2))
        {
            Assert.Equal([7, 5, 6.5, 5], Values(sent.Parameters));
            stage.AbandonRound(round);
            Assert.Equal([1, 0, 0.5, 0], Values(stage.Residual(0)!)); // an abandoned round keeps the old residual
        }
    }

    [Fact]
    public void The_update_travels_at_its_encoded_size()
    {
        using var stage = new UpdateCompression(new CompressionOptions { Method = CompressionMethod.Sign, BucketSize = 4 });
        using var update = Update(0, [0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8]);

        using var sent = stage.Transform(update, seed: 1, round: 1);

        Assert.Equal((2 * 4) + 1, sent.BytesUp);
        Assert.Equal([2.5, 2.5, 2.5, 2.5, 6.5, 6.5, 6.5, 6.5], Values(sent.Parameters));
    }

    [Theory]
    [InlineData(0.0, 15, "Ratio must be in (0, 1]")]
    [InlineData(1.5, 15, "Ratio must be in (0, 1]")]
    [InlineData(0.1, 0, "Levels must be at least 1 (got 0)")]
    public void Bad_knobs_are_named_with_their_value(double ratio, int levels, string message)
    {
        var error = Assert.Throws<FedPSException>(() => new CompressionOptions { Ratio = ratio, Levels = levels }.Validated());
        Assert.Contains(message, error.Message);
    }

    private static double Norm(double[] values) => Math.Sqrt(values.Sum(v => v * v));
}
