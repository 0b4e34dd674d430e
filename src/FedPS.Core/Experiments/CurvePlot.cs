namespace FedPS.Core.Experiments;

/// <summary>One curve of a plot: a label and one run (seed) or more, each a list of (x, y) points.</summary>
public sealed record CurveSeries(string Label, IReadOnlyList<IReadOnlyList<(double X, double Y)>> Runs);

/// <summary>What to write on a plot.</summary>
public sealed record PlotLabels(string Title, string XLabel, string YLabel);

/// <summary>
/// Curves over rounds as a PNG (ScottPlot): per series the mean across runs as a line and, with several runs,
/// a band of ± one standard deviation; labelled axes and a legend.
/// </summary>
public static class CurvePlot
{
    public const int DefaultWidth = 960;
    public const int DefaultHeight = 600;

    public static void SavePng(string path, IReadOnlyList<CurveSeries> series, PlotLabels labels,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        if (series.Count == 0 || series.All(s => s.Runs.All(r => r.Count == 0)))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"There is nothing to plot for '{path}'.", path);
        }

        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < series.Count; i++)
        {
            var summary = Summarize(series[i].Runs);
            if (summary.Length == 0)
            {
                continue;
            }

            var color = palette.GetColor(i);
            var xs = summary.Select(p => p.X).ToArray();
            if (series[i].Runs.Count > 1)
            {
                var band = plot.Add.FillY(xs, summary.Select(p => p.Mean - p.Std).ToArray(), summary.Select(p => p.Mean + p.Std).ToArray());
                band.FillColor = color.WithAlpha(0.18);
                band.LineWidth = 0;
            }

            var line = plot.Add.Scatter(xs, summary.Select(p => p.Mean).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = xs.Length <= 30 ? 4 : 0;
            line.LegendText = series[i].Runs.Count > 1 ? $"{series[i].Label} (n={series[i].Runs.Count})" : series[i].Label;
        }

        plot.Title(labels.Title);
        plot.XLabel(labels.XLabel);
        plot.YLabel(labels.YLabel);
        plot.ShowLegend(ScottPlot.Edge.Right); // beside the data, so a legend never hides the curves' ends
        IO.FileWrites.Replace(path, temp => plot.SavePng(temp, width, height));
    }

    /// <summary>Mean and standard deviation across runs at each x that every run reached.</summary>
    public static (double X, double Mean, double Std)[] Summarize(IReadOnlyList<IReadOnlyList<(double X, double Y)>> runs)
    {
        var shared = runs.Select(r => r.Select(p => p.X).ToHashSet())
            .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        return shared.Order()
            .Select(x =>
            {
                var ys = runs.Select(r => r.First(p => p.X == x).Y).Where(double.IsFinite).ToArray();
                if (ys.Length == 0)
                {
                    return (x, double.NaN, double.NaN);
                }

                var mean = ys.Average();
                var std = ys.Length > 1 ? Math.Sqrt(ys.Sum(y => (y - mean) * (y - mean)) / (ys.Length - 1)) : 0;
                return (x, mean, std);
            })
            .Where(p => double.IsFinite(p.Item2))
            .ToArray();
    }
}
