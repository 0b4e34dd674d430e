using FedPS.Core.Models;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// Federated Averaging (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data"): the new global model is the average of the clients' models weighted by their sample counts.
/// Only trainable tensors travel, so with LoRA this averages the adapters (see <see cref="FedIT"/>).
/// </summary>
public class FedAvg : FederatedStrategy
{
    public override string Name => nameof(FedAvg);

    public sealed override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round) =>
        ReplaceGlobal(ParameterSet.WeightedAverage(
            updates.Select(u => u.Parameters).ToArray(),
            updates.Select(u => (double)u.SampleCount).ToArray()));
}
