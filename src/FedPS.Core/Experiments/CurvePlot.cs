namespace FedPS.Core.Experiments;

/// <summary>One curve of a plot: a label and one run (seed) or more, each a list of (x, y) points.</summary>
public sealed record CurveSeries(string Label, IReadOnlyList<IReadOnlyList<(double X, double Y)>> Runs);

/// <summary>What to write on a plot.</summary>
public sealed record PlotLabels(string Title, string XLabel, string YLabel);

/// <summary>What the shaded band around a curve of several runs shows.</summary>
public enum CurveBand
{
    /// <summary>Mean ± one sample standard deviation.</summary>
    StandardDeviation,

    /// <summary>Mean ± the half-width of the 95 % confidence interval of the mean (Student's t).</summary>
    ConfidenceInterval95,
}

/// <summary>
/// Curves over rounds as a PNG (ScottPlot): per series the mean across runs as a line and, with several runs,
/// a shaded band (<see cref="CurveBand"/>) that a second title line names with the number of runs, e.g. "shaded:
/// mean ± 95 % CI, n = 5"; labelled axes, a legend beside the plot, and whole-number ticks when every x is a whole
/// number (rounds).
/// </summary>
public static class CurvePlot
{
    public const int DefaultWidth = 960;
    public const int DefaultHeight = 600;

    /// <param name="range">The values the quantity can take (e.g. 0–100 for an accuracy in percent, from 0 for a loss): a
    /// band is cut there instead of shading values no run could have.</param>
    public static void SavePng(string path, IReadOnlyList<CurveSeries> series, PlotLabels labels,
        int width = DefaultWidth, int height = DefaultHeight, CurveBand band = CurveBand.StandardDeviation, (double Min, double Max)? range = null)
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
                var edges = BandEdges(summary, band, range);
                var fill = plot.Add.FillY(xs, edges.Select(e => e.Lower).ToArray(), edges.Select(e => e.Upper).ToArray());
                fill.FillColor = color.WithAlpha(0.18);
                fill.LineWidth = 0;
            }

            var line = plot.Add.Scatter(xs, summary.Select(p => p.Mean).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = xs.Length <= 30 ? 4 : 0;
            line.LegendText = series[i].Runs.Count > 1 ? $"{series[i].Label} (n={series[i].Runs.Count})" : series[i].Label;
        }

        plot.Title(BandCaption(series, band) is { } caption ? $"{labels.Title}\n{caption}" : labels.Title);
        if (HasWholeNumberX(series))
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }

        plot.XLabel(labels.XLabel);
        plot.YLabel(labels.YLabel);
        plot.ShowLegend(ScottPlot.Edge.Right); // beside the data, so a legend never hides the curves' ends
        IO.FileWrites.Replace(path, temp => plot.SavePng(temp, width, height));
    }

    /// <summary>The shaded band's lower and upper edge at each point of <paramref name="summary"/>, cut to <paramref name="range"/>.</summary>
    public static (double Lower, double Upper)[] BandEdges((double X, double Mean, double Std, double HalfWidth95)[] summary, CurveBand band,
        (double Min, double Max)? range = null)
    {
        var (min, max) = range ?? (double.NegativeInfinity, double.PositiveInfinity);
        return summary.Select(p => band == CurveBand.StandardDeviation ? (p.Mean, Spread: p.Std) : (p.Mean, Spread: p.HalfWidth95))
            .Select(p => (Math.Max(min, p.Mean - p.Spread), Math.Min(max, p.Mean + p.Spread)))
            .ToArray();
    }

    /// <summary>True when every x is a whole number (rounds), so ticks at fractions would name rounds that do not exist.</summary>
    public static bool HasWholeNumberX(IReadOnlyList<CurveSeries> series) =>
        series.SelectMany(s => s.Runs).SelectMany(r => r).All(p => p.X == Math.Round(p.X));

    /// <summary>What the bands show, e.g. "shaded: mean ± 95 % CI, n = 5"; null when no series has more than one run.</summary>
    public static string? BandCaption(IReadOnlyList<CurveSeries> series, CurveBand band)
    {
        var counts = series.Select(s => s.Runs.Count).Where(n => n > 1).Distinct().Order().ToArray();
        if (counts.Length == 0)
        {
            return null;
        }

        var what = band == CurveBand.StandardDeviation ? "mean ± 1 SD" : "mean ± 95 % CI";
        return $"shaded: {what}, n = {string.Join(" or ", counts)}";
    }

    /// <summary>Mean, standard deviation and 95 % CI half-width across runs at each x that every run reached.</summary>
    public static (double X, double Mean, double Std, double HalfWidth95)[] Summarize(IReadOnlyList<IReadOnlyList<(double X, double Y)>> runs)
    {
        var shared = runs.Select(r => r.Select(p => p.X).ToHashSet())
            .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        return shared.Order()
            .Select(x =>
            {
                var ys = runs.Select(r => r.First(p => p.X == x).Y).Where(double.IsFinite).ToArray();
                var (mean, std, half) = SampleStatistics.Summarize(ys);
                return (x, mean, std, double.IsNaN(half) ? 0 : half);
            })
            .Where(p => double.IsFinite(p.Item2))
            .ToArray();
    }
}
