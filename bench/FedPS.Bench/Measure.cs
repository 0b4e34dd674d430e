using System.Diagnostics;

namespace FedPS.Bench;

/// <summary>Median wall and process CPU seconds of one candidate.</summary>
internal readonly record struct Timing(double Wall, double Cpu);

/// <summary>
/// Timing helpers: interleave the candidates, repeat, report medians (these machines are noisy). Besides wall time
/// they report the process's CPU time: with one torch thread it is the work done, and it moves far less than wall
/// time when other jobs share the machine.
/// </summary>
internal static class Measure
{
    public static Timing[] Interleaved(int repeats, params Action[] candidates) => Interleaved(repeats, null, candidates);

    /// <summary>
    /// Median seconds of each candidate over <paramref name="repeats"/> rounds (after one warm-up round); in each round
    /// the candidates run in turn, each after its untimed <paramref name="prepare"/> step, if any.
    /// </summary>
    public static Timing[] Interleaved(int repeats, Action[]? prepare, params Action[] candidates)
    {
        var wall = candidates.Select(_ => new List<double>()).ToArray();
        var cpu = candidates.Select(_ => new List<double>()).ToArray();
        using var self = Process.GetCurrentProcess();
        for (var r = -1; r < repeats; r++)
        {
            for (var c = 0; c < candidates.Length; c++)
            {
                prepare?[c]();
                self.Refresh();
                var cpuStart = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                candidates[c]();
                var elapsed = clock.Elapsed.TotalSeconds;
                self.Refresh();
                if (r >= 0)
                {
                    wall[c].Add(elapsed);
                    cpu[c].Add((self.TotalProcessorTime - cpuStart).TotalSeconds);
                }
            }
        }

        return candidates.Select((_, c) => new Timing(Median(wall[c]), Median(cpu[c]))).ToArray();
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux), to print beside the figures.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
