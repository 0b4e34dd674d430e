using FedPS.Core.Models;

namespace FedPS.Core.Federation;

/// <summary>
/// What one client returns after its local work in a round (Flower's FitRes): its parameters (or, for a method whose
/// clients send a step, e.g. DONE's Newton direction, that step), the parameters it started from, its training
/// loss, steps and traffic. <see cref="UpdateNorm"/> is ‖Parameters − Baseline‖ (‖Parameters‖ without a baseline).
/// </summary>
public sealed class ClientUpdate : IDisposable
{
    /// <param name="updateNorm">‖parameters − baseline‖ when the caller already knows it; computed otherwise.</param>
    public ClientUpdate(int clientId, int sampleCount, ParameterSet parameters, ParameterSet? baseline = null, RoundContext? round = null,
        double? updateNorm = null)
    {
        if (sampleCount < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"An update needs a sample count of at least 1 (got {sampleCount}).", sampleCount);
        }

        baseline?.EnsureLike(parameters, $"build client {clientId}'s update from parameters unlike its baseline");
        ClientId = clientId;
        SampleCount = sampleCount;
        Parameters = parameters;
        Baseline = baseline;
        Round = round;
        UpdateNorm = updateNorm ?? (baseline is null ? parameters.Norm() : parameters.DistanceTo(baseline));
    }

    public int ClientId { get; }

    public int SampleCount { get; }

    /// <summary>The round it was trained in (null for an update built by hand).</summary>
    [Newtonsoft.Json.JsonIgnore]
    public RoundContext? Round { get; }

    public int? RoundNumber => Round?.Number;

    public ParameterSet Parameters { get; }

    /// <summary>The parameters the client started from (held by the strategy while the round is open), or null.</summary>
    public ParameterSet? Baseline { get; }

    public double UpdateNorm { get; }

    /// <summary>Mean training loss over the client's local steps this round (NaN without steps).</summary>
    public double TrainLoss { get; init; } = double.NaN;

    public int Steps { get; init; }

    public long BytesUp { get; init; }

    public long BytesDown { get; init; }

    /// <summary>Strategy- or optimizer-specific numbers (e.g. Sophia's win rate).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Parameters − Baseline (a new set the caller owns); the parameters themselves without a baseline.</summary>
    public ParameterSet Delta()
    {
        if (Baseline is null)
        {
            return Parameters.Clone();
        }

        EnsureBaselineHeld();
        return Parameters.Subtract(Baseline);
    }

    /// <summary>
    /// The same update carrying other parameters (same client, round, loss and traffic; <paramref name="bytesUp"/>
    /// when the new payload travels in another encoding): what a transform emits.
    /// </summary>
    public ClientUpdate WithParameters(ParameterSet parameters, long? bytesUp = null)
    {
        if (Baseline is not null)
        {
            EnsureBaselineHeld();
        }

        return new ClientUpdate(ClientId, SampleCount, parameters, Baseline, Round)
        {
            TrainLoss = TrainLoss,
            Steps = Steps,
            BytesUp = bytesUp ?? BytesUp,
            BytesDown = BytesDown,
            Metrics = Metrics,
        };
    }

    /// <summary>
    /// The same update whose delta is <paramref name="delta"/>: Baseline + delta (the delta itself without a baseline).
    /// What a stage that changes the delta (clipping, noise, an attack, compression) emits. Takes ownership of
    /// <paramref name="delta"/>.
    /// </summary>
    public ClientUpdate WithDelta(ParameterSet delta, long? bytesUp = null)
    {
        if (Baseline is null)
        {
            return WithParameters(delta, bytesUp);
        }

        using (delta)
        {
            EnsureBaselineHeld();
            Baseline.EnsureLike(delta, $"apply a delta to client {ClientId}'s update");
            return WithParameters(Baseline.Map((name, start) => start.add(delta[name])), bytesUp);
        }
    }

    public void Dispose() => Parameters.Dispose();

    public override string ToString() => Round is null ? $"update of client {ClientId}" : $"update of client {ClientId} in round {Round.Number}";

    private void EnsureBaselineHeld()
    {
        if (Round is { IsOpen: false })
        {
            throw new FedPSException(FedErrorKind.InvalidOperation,
                $"Round {Round.Number} has ended, so the parameters client {ClientId} started from are no longer held. " +
                "Transform updates before Complete-FedRound.", this);
        }
    }
}

/// <summary>Why a sampled client's update did not reach the aggregation.</summary>
public enum FailureReason
{
    /// <summary>Its local training diverged (NaN or infinite loss or parameters).</summary>
    Diverged,

    /// <summary>It trained, but its update never reached the aggregation (filtered out of the pipeline).</summary>
    Excluded,

    /// <summary>A server-side stage refused its update.</summary>
    Rejected,

    /// <summary>It was not available this round (dropout, availability trace).</summary>
    Unavailable,

    /// <summary>It missed the round's deadline (a straggler).</summary>
    Deadline,
}

/// <summary>A sampled client whose update the strategy does not get, and why (Flower's failures).</summary>
public sealed record ClientFailure(int ClientId, FailureReason Reason, string Message)
{
    public override string ToString() => $"client {ClientId} ({Reason})";
}
