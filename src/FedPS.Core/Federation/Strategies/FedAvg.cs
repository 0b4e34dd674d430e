using FedPS.Core.Models;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// Federated Averaging (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data"): the new global model is the average of the clients' models weighted by their sample counts.
/// </summary>
public sealed class FedAvg : FederatedStrategy
{
    public override string Name => nameof(FedAvg);

    public override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round) =>
        ReplaceGlobal(ParameterSet.WeightedAverage(
            updates.Select(u => u.Parameters).ToArray(),
            updates.Select(u => (double)u.SampleCount).ToArray()));
}
