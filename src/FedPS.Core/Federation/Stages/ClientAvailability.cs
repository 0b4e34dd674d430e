using System.Globalization;
using FedPS.Core.Primitives;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Which sampled clients deliver, as FedScale (Lai et al. 2022) and FederatedScope (Xie et al. 2023) simulate system
/// heterogeneity. For sampled client k in round r:
/// <code>
///   dropout    unavailable when u_{k,r} &lt; p,  u_{k,r} ~ U[0, 1) from (seed, r, k)
///   trace      unavailable when the trace marks (k, r) unavailable
///   deadline   t_{k,r} = Steps_{k,r} · StepTime · exp(σ ξₖ) + (BytesDown + BytesUp) / Bandwidth,  ξₖ ~ N(0, 1) once per run;
///              the client misses the round when t_{k,r} &gt; D
/// </code>
/// Unavailable clients are not configured (a strategy's extra exchange, such as DONE's gradients, does not ask them);
/// late ones are not trained (the server could not use their update; they still received the model, so their downlink
/// bytes count). Both are reported to the strategy as failures (Unavailable, Deadline). The uplink bytes are those of
/// the update's encoding (compressed when the server compresses). Each round reports <c>roundSeconds</c> (the slowest
/// delivering client's simulated time, or D when a client missed the deadline), <c>unavailableClients</c> and
/// <c>lateClients</c> (counts the results store keeps).
/// </summary>
public sealed class ClientAvailability : RoundStage
{
    private readonly AvailabilityOptions options;
    private readonly Dictionary<int, double> stepTimes = [];
    private readonly List<double> times = [];
    private AvailabilityTrace? trace;
    private int unavailable;
    private int late;

    public ClientAvailability(AvailabilityOptions options)
        : base("availability", 0)
    {
        this.options = (AvailabilityOptions)options.Validated();
    }

    public AvailabilityOptions Options => options;

    /// <summary>Simulated seconds one local step takes on client <paramref name="clientId"/>.</summary>
    public double StepTimeOf(int clientId) => stepTimes[clientId];

    public override void Initialize(StageSetup setup)
    {
        if (options.Trace is { } path)
        {
            trace = AvailabilityTrace.Load(path);
            var ids = setup.Clients.Select(c => c.Id).ToHashSet();
            var unknown = trace.Clients.Where(c => !ids.Contains(c)).OrderBy(trace.LineOf).FirstOrDefault(-1);
            if (unknown >= 0)
            {
                throw new FedPSException(FedErrorKind.InvalidData,
                    $"{path}:{trace.LineOf(unknown)}: client {unknown} is not in the federation (its clients are {ids.Min()}–{ids.Max()}).", $"{path}:{trace.LineOf(unknown)}");
            }
        }

        stepTimes.Clear();
        foreach (var client in setup.Clients)
        {
            var speed = options.SpeedSpread == 0 ? 0 : GaussianNoise.Scalar(options.SpeedSpread, SeedSequence.Derive(setup.Seed, client.Id, (long)SeedPurpose.ClientSpeed));
            stepTimes[client.Id] = options.StepTime * Math.Exp(speed);
        }
    }

    public override ClientFailure? Admit(long seed, int round, FedClient client)
    {
        var why = trace is not null && !trace.IsAvailable(client.Id, round)
            ? $"Client {client.Id} is unavailable in round {round} ({System.IO.Path.GetFileName(trace.Path)})."
            : options.DropoutProbability > 0 && Uniform(SeedSequence.Derive(seed, round, client.Id, (long)SeedPurpose.Availability)) < options.DropoutProbability
                ? string.Create(CultureInfo.InvariantCulture, $"Client {client.Id} dropped out of round {round} (dropout probability {options.DropoutProbability}).")
                : null;
        if (why is null)
        {
            return null;
        }

        unavailable++;
        return new ClientFailure(client.Id, FailureReason.Unavailable, why);
    }

    public override ClientFailure? Schedule(ClientAssignment assignment, long bytesDown, long bytesUp)
    {
        var seconds = (assignment.PlannedSteps * stepTimes[assignment.ClientId]) + (options.Bandwidth is { } bandwidth ? (bytesDown + bytesUp) / bandwidth : 0);
        if (options.Deadline is { } deadline && seconds > deadline)
        {
            late++;
            return new ClientFailure(assignment.ClientId, FailureReason.Deadline, string.Create(CultureInfo.InvariantCulture,
                $"Client {assignment.ClientId} would take {seconds:G4} simulated seconds in round {assignment.Round.Number}, past the deadline of {deadline:G4}."));
        }

        times.Add(seconds);
        return null;
    }

    public override void CompleteRound(RoundContext round, IDictionary<string, double> metrics)
    {
        var slowest = times.Count == 0 ? 0 : times.Max();
        metrics["roundSeconds"] = late > 0 && options.Deadline is { } deadline ? deadline : slowest;
        metrics["unavailableClients"] = unavailable;
        metrics["lateClients"] = late;
        AbandonRound(round);
    }

    public override void AbandonRound(RoundContext round)
    {
        times.Clear();
        (unavailable, late) = (0, 0);
    }

    public override string Describe()
    {
        var parts = new List<string>();
        if (options.DropoutProbability > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"dropout {options.DropoutProbability}"));
        }

        if (options.Trace is { } path)
        {
            parts.Add($"trace {System.IO.Path.GetFileName(path)}");
        }

        if (options.Deadline is { } deadline)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"deadline {deadline:G4} s (step {options.StepTime:G4} s, spread σ={options.SpeedSpread})"));
        }

        return parts.Count == 0 ? "availability: every client" : "availability: " + string.Join(", ", parts);
    }

    // A uniform draw in [0, 1) from the top 53 bits of a derived seed.
    private static double Uniform(long seed) => ((ulong)seed >> 10) * (1.0 / (1UL << 53));
}
