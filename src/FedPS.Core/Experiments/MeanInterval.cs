namespace FedPS.Core.Experiments;

/// <summary>
/// A mean with its two-sided 95 % confidence interval from Student's t distribution: mean ± t₀.₉₇₅(n − 1)·s/√n, with s
/// the sample standard deviation of the n values. For paired comparisons, pass the per-pair differences. One value
/// has no interval (half-width NaN).
/// </summary>
public sealed record MeanInterval(double Mean, double HalfWidth, double StandardDeviation, int Count)
{
    // t₀.₉₇₅ for 1..30 degrees of freedom (standard tables); above 30 the normal 1.96 is within 2 %.
    private static readonly double[] T975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    public double Low => Mean - HalfWidth;

    public double High => Mean + HalfWidth;

    /// <summary>The t quantile for <paramref name="degreesOfFreedom"/>.</summary>
    public static double TQuantile975(int degreesOfFreedom) =>
        degreesOfFreedom < 1 ? double.NaN : degreesOfFreedom <= T975.Length ? T975[degreesOfFreedom - 1] : 1.96;

    public static MeanInterval Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0)
        {
            return new MeanInterval(double.NaN, double.NaN, double.NaN, 0);
        }

        var mean = v.Average();
        var sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : double.NaN;
        return new MeanInterval(mean, v.Length > 1 ? TQuantile975(v.Length - 1) * sd / Math.Sqrt(v.Length) : double.NaN, sd, v.Length);
    }

    /// <summary>"1.234 ± 0.056" with <paramref name="digits"/> decimals ("1.234" for one value).</summary>
    public string Format(int digits = 3) => double.IsNaN(HalfWidth)
        ? Mean.ToString($"F{digits}", System.Globalization.CultureInfo.InvariantCulture)
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Mean.ToString($"F{digits}", System.Globalization.CultureInfo.InvariantCulture)} ± {HalfWidth.ToString($"F{digits}", System.Globalization.CultureInfo.InvariantCulture)}");

    public override string ToString() => Format();
}
