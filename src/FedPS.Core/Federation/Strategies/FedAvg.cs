using FedPS.Core.Models;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// Federated Averaging (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data"): θ ← Σₖ nₖ·θₖ / Σₖ nₖ, the clients' models weighted by their sample counts. Only trainable
/// tensors travel, so with LoRA this averages the adapters (see <see cref="FedIT"/>).
/// <para>
/// The average is the round's mean (<see cref="RoundContext.BeginMean"/>): a running sum (<see cref="RunningAverage"/>),
/// so a round holds one extra copy of the model however many clients it samples; under central differential privacy
/// the round makes it the clipped, unweighted, noised mean, and <see cref="Step"/> sees only that. Strategies whose server combines the clients' models by this same weighted mean derive
/// from it and change only what they must: the clients' training (<see cref="FedProx"/>, <see cref="FedSophia"/>,
/// <see cref="Done"/>) or the server's step from the mean (<see cref="Step"/>: <see cref="FedOpt"/>, <see cref="Done"/>).
/// </para>
/// </summary>
public class FedAvg(string? name = null) : FederatedStrategy(name ?? nameof(FedAvg))
{
    public sealed override bool StreamsUpdates => true;

    /// <summary>The new model is a step from the round's mean of the clients' models, so central DP applies.</summary>
    public override bool AveragesModels => true;

    public sealed override RoundAggregation BeginAggregation(RoundContext round) => new Averaging(this, round);

    /// <summary>The streaming aggregation over a list: one mechanism for both entry points.</summary>
    public sealed override ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures)
    {
        using var aggregation = BeginAggregation(round);
        foreach (var update in results)
        {
            aggregation.Add(update);
        }

        return aggregation.Complete(failures);
    }

    /// <summary>
    /// The new global parameters from the round's mean of what the clients sent (sample-weighted, or privatized under
    /// central DP). FedAvg takes the mean itself. Takes ownership of <paramref name="average"/>: return it, or dispose it.
    /// </summary>
    protected virtual ParameterSet Step(RoundContext round, ParameterSet average) => average;

    private sealed class Averaging(FedAvg strategy, RoundContext round) : RoundAggregation(round)
    {
        private readonly RoundMean average = round.BeginMean(strategy.Global);

        public override bool Streams => true;

        public override void Add(ClientUpdate update) => average.Add(update);

        public override ParameterSet? Complete(IReadOnlyList<ClientFailure> failures) => strategy.Step(Round, average.Mean());

        public override void Dispose()
        {
            average.Dispose();
            base.Dispose();
        }
    }
}
