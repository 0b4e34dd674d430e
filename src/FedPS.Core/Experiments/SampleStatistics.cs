namespace FedPS.Core.Experiments;

/// <summary>
/// Means with their uncertainty over a few runs (seeds): the sample standard deviation and the two-sided 95 %
/// confidence interval of the mean from Student's t, mean ± t(0.975, n − 1)·s/√n.
/// </summary>
public static class SampleStatistics
{
    // t(0.975, df) for df = 1..30 (standard tables).
    private static readonly double[] T975 =
    [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];

    /// <summary>The 97.5 % quantile of Student's t with <paramref name="degreesOfFreedom"/> (the 95 % two-sided critical value).</summary>
    public static double TQuantile975(int degreesOfFreedom)
    {
        if (degreesOfFreedom < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"A t quantile needs at least one degree of freedom (got {degreesOfFreedom}).", degreesOfFreedom);
        }

        if (degreesOfFreedom <= T975.Length)
        {
            return T975[degreesOfFreedom - 1];
        }

        // Beyond the table, the Cornish-Fisher expansion around z = 1.959964 (error below 1e-4 for df > 30).
        const double z = 1.959964;
        double df = degreesOfFreedom;
        return z + (((z * z * z) + z) / (4 * df)) + (((5 * Math.Pow(z, 5)) + (16 * z * z * z) + (3 * z)) / (96 * df * df));
    }

    /// <summary>The mean, the sample standard deviation (0 for one value) and the half-width of the 95 % CI (NaN for one value).</summary>
    public static (double Mean, double StandardDeviation, double HalfWidth95) Summarize(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        var mean = values.Average();
        if (values.Count == 1)
        {
            return (mean, 0, double.NaN);
        }

        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, sd, TQuantile975(values.Count - 1) * sd / Math.Sqrt(values.Count));
    }
}
