using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace FedPS.Core.Experiments;

/// <summary>
/// Runs registered actions when the process ends without unwinding its threads: a normal exit of pwsh, or the
/// signals a terminal or job scheduler sends (SIGTERM, SIGHUP). A run being computed at that moment is marked
/// interrupted this way instead of staying "running". (SIGKILL gives a process no chance; a later -Resume
/// recognises the dead owner, see <see cref="RunOwner"/>.)
/// </summary>
public static class ProcessExitHook
{
    private static readonly ConcurrentDictionary<long, Action> Pending = new();
    private static readonly List<PosixSignalRegistration> Signals = [];
    private static long next;

    static ProcessExitHook()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();
        if (!OperatingSystem.IsWindows())
        {
            // The handlers run before the signal's default action (terminate), which they do not cancel.
            Signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => RunAll()));
            Signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => RunAll()));
        }
    }

    /// <summary>Runs <paramref name="onExit"/> at process exit unless the returned registration is disposed first.</summary>
    public static IDisposable Register(Action onExit)
    {
        var id = Interlocked.Increment(ref next);
        Pending[id] = onExit;
        return new Registration(id);
    }

    // A signal's handler and the process's exit can both call this at once (pwsh may exit on the signal while our
    // handler runs): one lock, so the exit waits for every action the handler already took instead of ending the
    // process under it (which left a run "running").
    private static readonly object RunGate = new();

    private static void RunAll()
    {
        lock (RunGate)
        {
            RunPending();
        }
    }

    private static void RunPending()
    {
        foreach (var id in Pending.Keys)
        {
            if (Pending.TryRemove(id, out var action))
            {
                try
                {
                    action();
                }
                catch (Exception)
                {
                    // The process is going away: there is no one left to report to.
                }
            }
        }
    }

    private sealed class Registration(long id) : IDisposable
    {
        public void Dispose() => Pending.TryRemove(id, out _);
    }
}
