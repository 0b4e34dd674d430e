using System.Buffers.Binary;
using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

public sealed class CurvePlotTests
{
    private static IReadOnlyList<(double X, double Y)> Run(params double[] ys) => ys.Select((y, i) => ((double)(i + 1), y)).ToArray();

    [Fact]
    public void Summarize_gives_mean_and_sample_standard_deviation_per_round()
    {
        var summary = CurvePlot.Summarize([Run(1, 2, 3), Run(3, 4)]);

        Assert.Equal(2, summary.Length); // only the rounds both runs reached
        Assert.Equal((1.0, 2.0, Math.Sqrt(2)), (summary[0].X, summary[0].Mean, summary[0].Std));
        Assert.Equal((2.0, 3.0, Math.Sqrt(2)), (summary[1].X, summary[1].Mean, summary[1].Std));
        Assert.Equal(12.7062, summary[0].HalfWidth95, 1e-9); // t(0.975, 1)·√2/√2
    }

    [Fact]
    public void The_band_caption_names_what_is_shaded_and_over_how_many_runs()
    {
        CurveSeries[] five = [new("a", [Run(1), Run(2), Run(3), Run(4), Run(5)]), new("b", [Run(1), Run(2), Run(3), Run(4), Run(5)])];

        Assert.Equal("shaded: mean ± 95 % CI, n = 5", CurvePlot.BandCaption(five, CurveBand.ConfidenceInterval95));
        Assert.Equal("shaded: mean ± 1 SD, n = 2 or 5", CurvePlot.BandCaption([.. five, new("c", [Run(1), Run(2)])], CurveBand.StandardDeviation));
        Assert.Null(CurvePlot.BandCaption([new("single", [Run(1, 2)])], CurveBand.ConfidenceInterval95));
    }

    [Fact]
    public void A_band_is_cut_at_the_values_the_quantity_can_take()
    {
        var summary = CurvePlot.Summarize([Run(99, 0.1), Run(100, 0.3), Run(97, 0.2)]);

        var unbounded = CurvePlot.BandEdges(summary, CurveBand.ConfidenceInterval95);
        var bounded = CurvePlot.BandEdges(summary, CurveBand.ConfidenceInterval95, (0, 100));

        Assert.True(unbounded[0].Upper > 100 && unbounded[1].Lower < 0); // the CI of the mean runs past both ends
        Assert.Equal(100, bounded[0].Upper);
        Assert.Equal(unbounded[0].Lower, bounded[0].Lower);
        Assert.Equal(0, bounded[1].Lower);
        Assert.Equal(unbounded[1].Upper, bounded[1].Upper);
    }

    [Fact]
    public void Rounds_get_whole_number_ticks_and_megabytes_do_not()
    {
        Assert.True(CurvePlot.HasWholeNumberX([new("rounds", [Run(0.5, 0.7, 0.8)])]));
        Assert.False(CurvePlot.HasWholeNumberX([new("MB", [[(1.5, 0.5), (3.0, 0.7)]])]));
    }

    [Fact]
    public void Writes_a_png_of_the_requested_size()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fedps-plot-{Guid.NewGuid()}.png");
        try
        {
            CurvePlot.SavePng(path,
                [new CurveSeries("FedAvg", [Run(0.5, 0.7, 0.8), Run(0.4, 0.72, 0.83)]), new CurveSeries("FedSophia", [Run(0.6, 0.8, 0.9)])],
                new PlotLabels("Test accuracy", "Round", "Accuracy"), 640, 400, CurveBand.ConfidenceInterval95);

            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.Equal(640, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(400, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Plotting_nothing_is_an_error()
    {
        Assert.Throws<FedPSException>(() => CurvePlot.SavePng("x.png", [new CurveSeries("empty", [Run()])], new PlotLabels("t", "x", "y")));
    }
}
