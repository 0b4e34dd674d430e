using FedPS.Core.Models;

namespace FedPS.Core.Federation;

/// <summary>
/// The mean of what a round's clients sent, as the strategies built on FedAvg's mean take it
/// (<see cref="RoundContext.BeginMean"/>): fed one update at a time, then read once. By default it is the
/// sample-weighted mean of the clients' parameters (<see cref="WeightedMean"/>); a server with central differential
/// privacy replaces it with a clipped, unweighted, noised mean, so the strategy's server step (FedAvg's
/// θ ← mean, FedAdam's step on the pseudo-gradient mean − θ) sees only the privatized mean.
/// </summary>
public abstract class RoundMean : IDisposable
{
    /// <summary>Folds in one client's update (the caller keeps it).</summary>
    public abstract void Add(ClientUpdate update);

    /// <summary>The mean so far, as new parameters the caller owns, shaped like the global ones.</summary>
    public abstract ParameterSet Mean();

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>θ̄ = Σₖ nₖ·θₖ / Σₖ nₖ: the clients' parameters weighted by their sample counts (FedAvg's mean).</summary>
public sealed class WeightedMean : RoundMean
{
    private readonly RunningAverage average = new();

    public override void Add(ClientUpdate update) => average.Add(update.Parameters, update.SampleCount);

    public override ParameterSet Mean() => average.Mean();

    public override void Dispose()
    {
        average.Dispose();
        base.Dispose();
    }
}
