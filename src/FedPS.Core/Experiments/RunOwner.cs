using System.Diagnostics;
using System.Globalization;

namespace FedPS.Core.Experiments;

/// <summary>
/// The process that holds a running run: host, process id and the process's start mark (so a recycled process id
/// is not taken for the original process). Stored in the run's row, so another worker can tell a run that is
/// being run from one whose process died (kill -9, a crash) and may be taken over.
/// </summary>
public sealed record RunOwner(string Host, int ProcessId, long StartMark)
{
    public static RunOwner Current { get; } = Of(Environment.ProcessId)!;

    /// <summary>The owner identity of a process of this host, or null when no such process runs.</summary>
    public static RunOwner? Of(int processId) =>
        StartMarkOf(processId) is { } mark ? new RunOwner(Environment.MachineName, processId, mark) : null;

    public static RunOwner? Parse(string? text)
    {
        var parts = text?.Split(':');
        return parts is { Length: 3 } &&
               int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) &&
               long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var mark)
            ? new RunOwner(parts[0], pid, mark)
            : null;
    }

    /// <summary>
    /// False only when the owner certainly is gone: on this host, no process with its id and start mark runs. A
    /// process on another host is assumed alive, since it cannot be checked from here.
    /// </summary>
    public bool IsAlive() => !string.Equals(Host, Current.Host, StringComparison.OrdinalIgnoreCase) || StartMarkOf(ProcessId) == StartMark;

    public override string ToString() => FormattableString.Invariant($"{Host}:{ProcessId}:{StartMark}");

    /// <summary>When the process started: on Linux its start time in clock ticks since boot (exact), elsewhere in whole seconds.</summary>
    private static long? StartMarkOf(int pid)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // /proc/<pid>/stat: "pid (command) state ppid ..."; the start time is field 22, the 20th after the command.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[19], CultureInfo.InvariantCulture);
            }

            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
