using FedPS.Core.Models;
using FedPS.Core.Optim;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// Fed-Sophia (Elbakary et al. 2024, "Fed-Sophia: A Communication-Efficient Second-Order Federated Learning
/// Algorithm"): each sampled client runs its local steps with Sophia (<see cref="Sophia"/>: EMA gradient, a
/// diagonal-Hessian EMA refreshed by GNB or Hutchinson, clipped updates) from the global model; the server
/// averages the returned models weighted by sample counts. Only θ crosses the network. Each client's Sophia state
/// (m, h, step count) stays on the client from round to round unless <see cref="ResetOptimizerState"/> is set.
/// </summary>
public sealed class FedSophia(bool resetOptimizerState = false) : FederatedStrategy
{
    private const string StatePrefix = "client/";
    private readonly Dictionary<int, SophiaState> states = [];

    public override string Name => nameof(FedSophia);

    public bool ResetOptimizerState { get; } = resetOptimizerState;

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients)
    {
        var notSophia = clients.FirstOrDefault(c => c.Training.Optimizer.Name != "Sophia");
        if (notSophia is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"FedSophia needs clients that train with Sophia, but client {notSophia.Id} uses {notSophia.Training.Optimizer}. " +
                "Create them with: New-FedClient -Optimizer (New-FedOptimizer Sophia).", notSophia);
        }

        base.Initialize(initial, clients);
        ClearStates();
    }

    public override ClientUpdate TrainClient(ClientRound work)
    {
        var id = work.Client.Id;
        if (ResetOptimizerState && states.Remove(id, out var stale))
        {
            stale.Dispose();
        }

        var parameters = work.Trainer.Worker.parameters().Where(p => p.requires_grad).ToArray();
        if (!states.TryGetValue(id, out var state))
        {
            state = SophiaState.ZerosLike(parameters);
            states[id] = state;
        }

        using var sophia = work.Client.Training.Optimizer.CreateSophia(parameters, state);
        return work.Trainer.Train(work.Client, Global, work.Round, work.Seed, work.Cancel, progress: work.Progress, optimizer: sophia);
    }

    public override void Aggregate(IReadOnlyList<ClientUpdate> updates, int round) =>
        ReplaceGlobal(ParameterSet.WeightedAverage(
            updates.Select(u => u.Parameters).ToArray(),
            updates.Select(u => (double)u.SampleCount).ToArray()));

    /// <summary>The global parameters plus every client's carried Sophia state as client/{id}/sophia/{m|h}/i and steps.</summary>
    public override IEnumerable<(string Name, Tensor Value)> StateTensors() =>
        base.StateTensors().Concat(states.OrderBy(s => s.Key)
            .SelectMany(s => s.Value.Tensors().Select(t => ($"{StatePrefix}{s.Key}/sophia/{t.Name}", t.Value))));

    public override void LoadStateTensors(IReadOnlyDictionary<string, Tensor> state)
    {
        base.LoadStateTensors(state);
        ClearStates();
        var byClient = state.Where(e => e.Key.StartsWith(StatePrefix, StringComparison.Ordinal))
            .Select(e => (Parts: e.Key[StatePrefix.Length..].Split('/', 3), e.Value))
            .Where(e => e.Parts.Length == 3 && e.Parts[1] == "sophia")
            .GroupBy(e => int.Parse(e.Parts[0], System.Globalization.CultureInfo.InvariantCulture));
        foreach (var client in byClient)
        {
            states[client.Key] = SophiaState.FromTensors(client.ToDictionary(e => e.Parts[2], e => e.Value));
        }
    }

    public override string ToString() => ResetOptimizerState ? "FedSophia(reset optimizer state each round)" : Name;

    public override void Dispose()
    {
        ClearStates();
        base.Dispose();
    }

    private void ClearStates()
    {
        foreach (var s in states.Values)
        {
            s.Dispose();
        }

        states.Clear();
    }
}
