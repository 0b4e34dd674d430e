namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Client availability's knobs: dropout, an availability trace, and a deadline over simulated time. Only the knobs
/// given act: with the defaults every client is available and there is no deadline.
/// </summary>
public sealed record AvailabilityOptions : StageOptions
{
    /// <summary>p: each sampled client is unavailable in a round with this probability, independently, in [0, 1).</summary>
    public double DropoutProbability { get; init; }

    /// <summary>A CSV file of client,round,available rows; a client marked unavailable for a round cannot take part in it.</summary>
    public string? Trace { get; init; }

    /// <summary>Simulated seconds the server waits for updates; a client whose simulated time exceeds it misses the round. Null: no deadline.</summary>
    public double? Deadline { get; init; }

    /// <summary>Simulated seconds one local step takes on a client of median speed.</summary>
    public double StepTime { get; init; } = 0.05;

    /// <summary>σ of the log-normal spread of client speeds: client k's step takes StepTime·exp(σ·ξₖ), ξₖ ~ N(0, 1) once per run.</summary>
    public double SpeedSpread { get; init; } = 0.5;

    /// <summary>Bytes per simulated second on every client's link; null: transfers take no time.</summary>
    public double? Bandwidth { get; init; }

    public override StageOptions Validated()
    {
        Require(DropoutProbability is >= 0 and < 1, nameof(DropoutProbability), DropoutProbability, "in [0, 1)");
        Require(Deadline is null || PositiveFinite(Deadline.Value), nameof(Deadline), Deadline, "positive and finite");
        Require(PositiveFinite(StepTime), nameof(StepTime), StepTime, "positive and finite");
        Require(SpeedSpread >= 0 && double.IsFinite(SpeedSpread), nameof(SpeedSpread), SpeedSpread, "non-negative and finite");
        Require(Bandwidth is null || PositiveFinite(Bandwidth.Value), nameof(Bandwidth), Bandwidth, "positive and finite");
        if (Trace is not null)
        {
            AvailabilityTrace.Load(Trace); // bad rows fail now, naming file and line, before anything runs
        }

        return this;
    }

    /// <summary>The same options with a relative <see cref="Trace"/> path made absolute against <paramref name="folder"/>.</summary>
    public AvailabilityOptions ResolvedAgainst(string folder) =>
        Trace is null || Path.IsPathRooted(Trace) ? this : this with { Trace = Path.GetFullPath(Path.Combine(folder, Trace)) };

    public override RoundStage CreateStage(IReadOnlyList<int>? clients = null) =>
        ServerStage(clients, "Availability is simulated for the whole federation: give it to New-FedServer -Availability.",
            () => new ClientAvailability((AvailabilityOptions)Validated()));
}
