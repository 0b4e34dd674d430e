namespace FedPS.Core.Experiments;

/// <summary>
/// Where a run of a sweep is. A sweep registers its runs as <see cref="Planned"/>; a worker claims one
/// (<see cref="Running"/>) and every way it can end sets the final state: <see cref="Complete"/>,
/// <see cref="Failed"/> (any error, with its text), or <see cref="Interrupted"/> (Ctrl+C, or the process
/// exiting). Failed and interrupted runs are claimed again by -Resume; complete ones are never run again.
/// </summary>
public enum RunStatus
{
    Planned,
    Running,
    Complete,
    Failed,
    Interrupted,
}

/// <summary>The allowed moves between <see cref="RunStatus"/> values, and their text in the store.</summary>
public static class RunStates
{
    /// <summary>The states a worker may claim a run from (a running run only when its owner is gone).</summary>
    public static readonly IReadOnlySet<RunStatus> Claimable = new HashSet<RunStatus>
    {
        RunStatus.Planned, RunStatus.Failed, RunStatus.Interrupted, RunStatus.Running,
    };

    /// <summary>The states a claimed (running) run ends in.</summary>
    public static readonly IReadOnlySet<RunStatus> Final = new HashSet<RunStatus>
    {
        RunStatus.Complete, RunStatus.Failed, RunStatus.Interrupted,
    };

    public static string ToText(this RunStatus status) => status.ToString().ToLowerInvariant();

    public static RunStatus Parse(string text) =>
        Enum.TryParse<RunStatus>(text, ignoreCase: true, out var status)
            ? status
            : throw new FedPSException(FedErrorKind.InvalidData, $"'{text}' is not a run status FedPS knows.", text);
}
