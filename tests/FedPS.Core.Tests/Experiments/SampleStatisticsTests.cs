using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

public sealed class SampleStatisticsTests
{
    [Theory]
    [InlineData(1, 12.7062)]
    [InlineData(2, 4.3027)]
    [InlineData(4, 2.7764)]
    [InlineData(30, 2.0423)]
    [InlineData(60, 2.0003)]
    [InlineData(1000, 1.9623)]
    public void The_t_quantile_matches_the_tables(int degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, SampleStatistics.TQuantile975(degreesOfFreedom), 3);
    }

    [Fact]
    public void Zero_degrees_of_freedom_is_refused()
    {
        Assert.Throws<FedPSException>(() => SampleStatistics.TQuantile975(0));
    }

    [Fact]
    public void Five_values_give_mean_sample_deviation_and_the_t_interval()
    {
        var (mean, sd, half) = SampleStatistics.Summarize([1.0, 2.0, 3.0, 4.0, 5.0]);

        Assert.Equal(3.0, mean);
        Assert.Equal(Math.Sqrt(2.5), sd, 12);
        Assert.Equal(2.7764 * Math.Sqrt(2.5) / Math.Sqrt(5), half, 12);
    }

    [Fact]
    public void One_value_has_no_interval()
    {
        var (mean, sd, half) = SampleStatistics.Summarize([0.7]);

        Assert.Equal((0.7, 0.0), (mean, sd));
        Assert.True(double.IsNaN(half));
    }
}
