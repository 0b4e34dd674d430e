using System.Runtime.InteropServices;

namespace FedPS.Core.Experiments;

/// <summary>
/// The <see cref="ExitActions"/> of this process, run when it ends without unwinding its threads: a normal exit of
/// pwsh, or the signals a terminal or job scheduler sends (SIGTERM, SIGHUP). A run being computed at that moment is
/// marked interrupted this way instead of staying "running". (SIGKILL gives a process no chance; a later -Resume
/// recognises the dead owner, see <see cref="RunOwner"/>.)
/// </summary>
public static class ProcessExitHook
{
    private static readonly ExitActions Actions = new();
    private static readonly List<PosixSignalRegistration> Signals = [];

    static ProcessExitHook()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Actions.RunAll();
        if (!OperatingSystem.IsWindows())
        {
            // The handlers run before the signal's default action (terminate), which they do not cancel.
            Signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Actions.RunAll()));
            Signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => Actions.RunAll()));
        }
    }

    /// <summary>Whether the process has begun to exit: no new run should start.</summary>
    public static bool IsExiting => Actions.IsExiting;

    /// <inheritdoc cref="ExitActions.Register"/>
    public static IDisposable Register(Action onExit) => Actions.Register(onExit);
}
