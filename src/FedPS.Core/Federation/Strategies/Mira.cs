using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// MIRA (Elbakary et al. 2024, "MIRA: A Method of Federated Multi-Task Learning for Large Language Models"):
/// every client k keeps its own adapter W_k and trains it on its own task; after the round's local steps the
/// server takes one Laplacian-regularization step over the task graph a,
///     W_k ← W_k − η·λ·Σ_ℓ a_kℓ (W_k − W_ℓ),
/// for all clients at once (from the pre-step values) and returns each client its own W_k.
/// λ = 0 is local-only training (<see cref="LocalOnly"/>, registered as the strategy "LocalOnly"); on a complete graph with η·λ = 1/K every client lands
/// on the plain average, which is FedIT's aggregation. <see cref="FederatedStrategy.Global"/> holds the
/// sample-weighted average of the adapters, for reference only.
/// </summary>
public sealed class Mira : FederatedStrategy
{
    private readonly Dictionary<int, ParameterSet> adapters = [];
    private IReadOnlyList<FedClient> clients = [];
    private Tensor? laplacian;

    public Mira(double lambda, double stepSize = 1.0, AdjacencySpec? adjacency = null, string name = nameof(Mira))
    {
        if (!(lambda >= 0) || !double.IsFinite(lambda))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"Lambda must be non-negative (got {lambda})."), lambda);
        }

        if (!(stepSize > 0) || !double.IsFinite(stepSize))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"StepSize must be positive (got {stepSize})."), stepSize);
        }

        Lambda = lambda;
        StepSize = stepSize;
        Adjacency = adjacency ?? AdjacencySpec.Uniform;
        Name = name;
    }

    /// <summary>Local-only training: Mira's mechanism with λ = 0, so adapters never mix.</summary>
    public static Mira LocalOnly() => new(0, name: nameof(LocalOnly));

    public override string Name { get; }

    public double Lambda { get; }

    public double StepSize { get; }

    public AdjacencySpec Adjacency { get; }

    public override bool IsPersonalized => true;

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients)
    {
        base.Initialize(initial, clients);
        this.clients = clients.OrderBy(c => c.Id).ToArray();
        foreach (var client in this.clients)
        {
            adapters[client.Id] = initial.Clone();
        }

        var a = Adjacency.For(this.clients);
        using var weights = tensor(a, dtype: ScalarType.Float64);
        laplacian = (diag(weights.sum(1)) - weights).to_type(ScalarType.Float32);
    }

    public override ParameterSet ParametersFor(int clientId) =>
        adapters.TryGetValue(clientId, out var own)
            ? own
            : throw new FedPSException(FedErrorKind.ObjectNotFound, $"Mira has no client {clientId}.", clientId);

    /// <summary>Local-only clients (λ = 0) keep their adapters on the device: nothing crosses the network.</summary>
    public override ClientUpdate TrainClient(ClientRound work)
    {
        var update = base.TrainClient(work);
        if (Lambda == 0)
        {
            update.BytesUp = 0;
            update.BytesDown = 0;
        }

        return update;
    }

    public override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round)
    {
        foreach (var update in updates)
        {
            adapters[update.ClientId].Dispose();
            adapters[update.ClientId] = update.Parameters.Clone();
        }

        if (Lambda > 0)
        {
            GraphStep();
        }

        ReplaceGlobal(ParameterSet.WeightedAverage(
            clients.Select(c => adapters[c.Id]).ToArray(), clients.Select(c => (double)c.SampleCount).ToArray()));
    }

    // All clients at once: stack tensor t of every client as rows of W [K, n]; W ← W − η·λ·L·W with L = D − A.
    private void GraphStep()
    {
        using var _ = no_grad();
        var coefficient = StepSize * Lambda;
        var tensorCount = adapters[clients[0].Id].Tensors.Count;
        for (var t = 0; t < tensorCount; t++)
        {
            using var scope = NewDisposeScope();
            var values = clients.Select(c => adapters[c.Id].Tensors[t].Value).ToArray();
            var stacked = stack(values.Select(v => v.flatten()).ToArray());
            var pulled = stacked - (coefficient * laplacian!.to(stacked.device).matmul(stacked));
            for (var k = 0; k < values.Length; k++)
            {
                values[k].copy_(pulled[k].view_as(values[k]));
            }
        }
    }

    public override IEnumerable<(string Name, Tensor Value)> StateTensors() =>
        base.StateTensors().Concat(clients.SelectMany(c =>
            adapters[c.Id].Tensors.Select(t => ($"clients/{c.Id}/{t.Name}", t.Value))));

    public override void LoadStateTensors(IReadOnlyDictionary<string, Tensor> state)
    {
        base.LoadStateTensors(state);
        using var _ = no_grad();
        foreach (var client in clients)
        {
            foreach (var (name, value) in adapters[client.Id].Tensors)
            {
                var key = $"clients/{client.Id}/{name}";
                value.copy_(state.TryGetValue(key, out var saved)
                    ? saved
                    : throw new FedPSException(FedErrorKind.InvalidData, $"The saved state has no tensor '{key}'.", key));
            }
        }
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Name}(λ={Lambda}, η={StepSize}, adjacency={Adjacency})");

    public override void Dispose()
    {
        foreach (var adapter in adapters.Values)
        {
            adapter.Dispose();
        }

        laplacian?.Dispose();
        base.Dispose();
    }
}
