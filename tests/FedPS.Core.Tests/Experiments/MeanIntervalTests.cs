using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

public sealed class MeanIntervalTests
{
    [Fact]
    public void Three_values_get_a_t_interval_with_two_degrees_of_freedom()
    {
        // 1, 2, 3: mean 2, s = 1, t₀.₉₇₅(2) = 4.303, half-width 4.303/√3.
        var m = MeanInterval.Of([1, 2, 3]);

        Assert.Equal(2, m.Mean, 12);
        Assert.Equal(1, m.StandardDeviation, 12);
        Assert.Equal(4.303 / Math.Sqrt(3), m.HalfWidth, 12);
        Assert.Equal("2.000 ± 2.484", m.Format());
    }

    [Fact]
    public void Five_paired_differences_use_four_degrees_of_freedom_and_non_finite_values_are_left_out()
    {
        // Differences 0.1, 0.2, 0.3, 0.4, 0.5: mean 0.3, s = √0.025, t₀.₉₇₅(4) = 2.776.
        var m = MeanInterval.Of([0.1, 0.2, double.NaN, 0.3, 0.4, 0.5]);

        Assert.Equal(5, m.Count);
        Assert.Equal(0.3, m.Mean, 12);
        Assert.Equal(2.776 * Math.Sqrt(0.025) / Math.Sqrt(5), m.HalfWidth, 12);
        Assert.True(m.Low > 0);
    }

    [Fact]
    public void One_value_has_no_interval()
    {
        var m = MeanInterval.Of([1.5]);

        Assert.True(double.IsNaN(m.HalfWidth));
        Assert.Equal("1.500", m.Format());
        Assert.Equal(1.96, MeanInterval.TQuantile975(200));
    }
}
