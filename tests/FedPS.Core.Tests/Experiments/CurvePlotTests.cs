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
        Assert.Equal((1.0, 2.0, Math.Sqrt(2)), summary[0]);
        Assert.Equal((2.0, 3.0, Math.Sqrt(2)), summary[1]);
    }

    [Fact]
    public void Writes_a_png_of_the_requested_size()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fedps-plot-{Guid.NewGuid()}.png");
        try
        {
            CurvePlot.SavePng(path,
                [new CurveSeries("FedAvg", [Run(0.5, 0.7, 0.8), Run(0.4, 0.72, 0.83)]), new CurveSeries("FedSophia", [Run(0.6, 0.8, 0.9)])],
                new PlotLabels("Test accuracy", "Round", "Accuracy"), 640, 400);

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
