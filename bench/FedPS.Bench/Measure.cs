using System.Diagnostics;

namespace FedPS.Bench;

/// <summary>Timing helpers: interleave the candidates, repeat, report medians (these machines are noisy).</summary>
internal static class Measure
{
    public static double[] Interleaved(int repeats, params Action[] candidates)
    {
        var times = candidates.Select(_ => new List<double>()).ToArray();
        foreach (var candidate in candidates)
        {
            candidate(); // warm-up
        }

        for (var r = 0; r < repeats; r++)
        {
            for (var c = 0; c < candidates.Length; c++)
            {
                var clock = Stopwatch.StartNew();
                candidates[c]();
                times[c].Add(clock.Elapsed.TotalSeconds);
            }
        }

        return times.Select(Median).ToArray();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
