using FedPS.Core.Data;
using FedPS.Core.Models;

namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// The per-client models of a personalizing strategy (Mira's adapters, Ditto's personal models): one parameter set per
/// client, owned here; evaluated as the mean over the clients' own models; saved in checkpoints as
/// <c>{prefix}{client id}/{tensor name}</c>.
/// </summary>
public sealed class PersonalModels(string owner, string prefix) : IDisposable
{
    private readonly Dictionary<int, ParameterSet> sets = [];
    private IReadOnlyList<FedClient> clients = [];

    /// <summary>The clients, in id order.</summary>
    public IReadOnlyList<FedClient> Clients => clients;

    /// <summary>Client <paramref name="clientId"/>'s model.</summary>
    public ParameterSet this[int clientId] =>
        sets.TryGetValue(clientId, out var own)
            ? own
            : throw new FedPSException(FedErrorKind.ObjectNotFound, $"{owner} has no client {clientId}.", clientId);

    public bool Contains(int clientId) => sets.ContainsKey(clientId);

    /// <summary>Every client starts from a copy of <paramref name="initial"/>.</summary>
    public void Reset(IReadOnlyList<FedClient> federation, ParameterSet initial)
    {
        Clear();
        clients = federation.OrderBy(c => c.Id).ToArray();
        foreach (var client in clients)
        {
            sets[client.Id] = initial.Clone();
        }
    }

    /// <summary>Makes <paramref name="next"/> client <paramref name="clientId"/>'s model (taking ownership), disposing the previous one.</summary>
    public void Replace(int clientId, ParameterSet next)
    {
        var previous = this[clientId];
        sets[clientId] = next;
        if (!ReferenceEquals(previous, next))
        {
            previous.Dispose();
        }
    }

    /// <summary>The mean loss and accuracy over the clients' own models on <paramref name="data"/>.</summary>
    public Evaluation Evaluate(ModelEvaluator evaluator, FedDataset data)
    {
        var each = clients.Select(c => evaluator.Evaluate(sets[c.Id], data)).ToArray();
        return new Evaluation(each.Average(e => e.Loss), each.Average(e => e.Accuracy), data.Count);
    }

    public void Save(StrategyState state)
    {
        foreach (var client in clients)
        {
            state.Add($"{prefix}{client.Id}/", sets[client.Id]);
        }
    }

    public void Load(StrategyState state)
    {
        foreach (var client in clients)
        {
            state.CopyTo($"{prefix}{client.Id}/", sets[client.Id]);
        }
    }

    public void Dispose() => Clear();

    private void Clear()
    {
        foreach (var set in sets.Values)
        {
            set.Dispose();
        }

        sets.Clear();
    }
}
