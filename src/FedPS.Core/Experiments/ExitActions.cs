using System.Collections.Concurrent;

namespace FedPS.Core.Experiments;

/// <summary>
/// Actions to take once when the process ends: each registered action runs at most once, either when the exit
/// begins or, for one registered after that (another thread claiming a run while the process is going away), at
/// once on registration. So nothing registered is ever missed, whichever thread wins.
/// </summary>
public sealed class ExitActions
{
    private readonly ConcurrentDictionary<long, Action> pending = new();

    // A signal's handler and the process's exit can both run the actions at once (pwsh may exit on the signal while
    // the handler runs): one lock, so the exit waits for every action the handler already took instead of ending the
    // process under it.
    private readonly object gate = new();
    private long next;
    private volatile bool exiting;

    /// <summary>Whether the exit has begun: nothing new should start.</summary>
    public bool IsExiting => exiting;

    /// <summary>
    /// Runs <paramref name="onExit"/> at exit unless the returned registration is disposed first; if the exit has
    /// already begun, runs it now.
    /// </summary>
    public IDisposable Register(Action onExit)
    {
        var id = Interlocked.Increment(ref next);
        pending[id] = onExit;

        // RunAll raises the flag before it looks at the pending actions, so an action added after its look sees the
        // flag here; one seen by both runs once (TryRemove).
        if (exiting)
        {
            RunAll();
        }

        return new Registration(this, id);
    }

    /// <summary>Marks the exit as begun and runs every pending action.</summary>
    public void RunAll()
    {
        exiting = true;
        lock (gate)
        {
            foreach (var id in pending.Keys)
            {
                if (pending.TryRemove(id, out var action))
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
    }

    private sealed class Registration(ExitActions owner, long id) : IDisposable
    {
        public void Dispose() => owner.pending.TryRemove(id, out _);
    }
}
