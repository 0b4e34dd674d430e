using System.Globalization;
using FedPS.Core.Models;
using FedPS.Core.Optim;

namespace FedPS.Core.Federation.Strategies;

/// <summary>FedSophia's knobs.</summary>
public sealed record FedSophiaOptions : StrategyOptions
{
    /// <summary>Start every round from zero Sophia state instead of each client's carried m, h.</summary>
    public bool ResetOptimizerState { get; init; }
}

/// <summary>
/// Fed-Sophia (Elbakary et al. 2024, "Fed-Sophia: A Communication-Efficient Second-Order Federated Learning
/// Algorithm"): each sampled client runs its local steps with Sophia (<see cref="Sophia"/>: EMA gradient, a
/// diagonal-Hessian EMA refreshed by GNB or Hutchinson, clipped updates) from the global model; the server
/// averages the returned models weighted by sample counts, as <see cref="FedAvg"/>. Only θ crosses the network.
/// Each client's Sophia state (m, h, step count) stays on the client from round to round unless
/// <see cref="FedSophiaOptions.ResetOptimizerState"/> is set. A client trains on a copy of its state, which becomes
/// its state when the round completes, so an abandoned round (Ctrl+C) leaves every client as it was.
/// </summary>
public sealed class FedSophia(FedSophiaOptions options) : FedAvg(nameof(FedSophia))
{
    private const string StatePrefix = "client/";
    private readonly Dictionary<int, SophiaState> states = [];

    public FedSophiaOptions Options { get; } = options;

    public bool ResetOptimizerState => Options.ResetOptimizerState;

    public override void Check(FederationShape federation)
    {
        var other = federation.Optimizers.FirstOrDefault(o => o != "Sophia");
        if (other is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"FedSophia needs clients that train with Sophia, but some train with {other}. " +
                "Create them with: New-FedClient -Optimizer (New-FedOptimizer Sophia), or in a config: optimizer: Sophia.", other);
        }
    }

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients, int clientsPerRound)
    {
        base.Initialize(initial, clients, clientsPerRound);
        ClearStates();
    }

    public override IReadOnlyList<ClientAssignment> Configure(RoundContext round)
    {
        var assignments = base.Configure(round);
        if (ResetOptimizerState)
        {
            return assignments;
        }

        return assignments.Select(a =>
        {
            var carried = states.TryGetValue(a.ClientId, out var state) ? state.Clone() : SophiaState.ZerosLike(a.Start.Values);
            var optimizer = a.Client.Training.Optimizer;
            return new ClientAssignment(round, a.Client, a.Start)
            {
                UpdateRule = context => context.OptimizerUpdate(optimizer.CreateSophia(context.Parameters, carried)),
                ClientState = carried,
                Detail = string.Create(CultureInfo.InvariantCulture, $"Sophia state carried from step {carried.Steps}"),
            };
        }).ToArray();
    }

    /// <summary>The trained clients' advanced Sophia state becomes their carried state.</summary>
    public override void CompleteRound(RoundContext round, IReadOnlyList<ClientAssignment> trained)
    {
        foreach (var assignment in trained)
        {
            if (assignment.ClientState is SophiaState advanced)
            {
                if (states.Remove(assignment.ClientId, out var previous))
                {
                    previous.Dispose();
                }

                states[assignment.ClientId] = advanced;
            }
        }
    }

    /// <summary>The global parameters plus every client's carried Sophia state as client/{id}/sophia/{m|h}/i and steps.</summary>
    public override void SaveState(StrategyState state)
    {
        base.SaveState(state);
        foreach (var (client, sophia) in states.OrderBy(s => s.Key))
        {
            foreach (var (name, value) in sophia.Tensors())
            {
                state.Add($"{StatePrefix}{client}/sophia/{name}", value);
            }
        }
    }

    public override void LoadState(StrategyState state)
    {
        base.LoadState(state);
        ClearStates();
        var byClient = state.Under(StatePrefix)
            .Select(e => (Parts: e.Name.Split('/', 3), e.Value))
            .Where(e => e.Parts.Length == 3 && e.Parts[1] == "sophia")
            .GroupBy(e => int.Parse(e.Parts[0], CultureInfo.InvariantCulture));
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
