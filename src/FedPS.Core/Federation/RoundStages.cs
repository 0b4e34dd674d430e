using System.Collections;
using FedPS.Core.Models;

namespace FedPS.Core.Federation;

/// <summary>
/// A server's round stages, in order: made from the server's stage options (acting on every client, or on the clients
/// an attack picks) and from its clients' own options (acting on those clients), each hook run over the stages that
/// apply to the client at hand. Whoever runs a round calls these at the places <see cref="RoundStage"/> names.
/// </summary>
public sealed class RoundStages : IReadOnlyList<RoundStage>, IDisposable
{
    private const string StatePrefix = "stage/";
    private readonly RoundStage[] stages;

    public RoundStages(IEnumerable<RoundStage> stages)
    {
        this.stages = stages.OrderBy(s => s.Order).ToArray();
        var twice = this.stages.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1 && g.Key is "privacy" or "compression" or "availability");
        if (twice is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"A server takes one {twice.Key} stage, not {twice.Count()}.", twice.Key);
        }
    }

    public static RoundStages None { get; } = new([]);

    public IReadOnlyList<RoundStage> All => stages;

    public int Count => stages.Length;

    public RoundStage this[int index] => stages[index];

    public IEnumerator<RoundStage> GetEnumerator() => ((IEnumerable<RoundStage>)stages).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => stages.GetEnumerator();

    /// <summary>
    /// The stages a server with <paramref name="options"/> (its own) and <paramref name="clients"/> (each with its own
    /// options) runs: one stage per server option, one per distinct client option over the clients that carry it.
    /// </summary>
    public static RoundStages Create(IEnumerable<StageOptions> options, IReadOnlyList<FedClient> clients)
    {
        var own = options.Select(o => o.CreateStage()).ToList();
        try
        {
            own.AddRange(clients.SelectMany(c => c.Stages.Select(o => (Options: o, c.Id)))
                .GroupBy(p => p.Options)
                .Select(g => g.Key.CreateStage(g.Select(p => p.Id).ToArray())));
            return new RoundStages(own);
        }
        catch
        {
            own.ForEach(s => s.Dispose());
            throw;
        }
    }

    public void Initialize(StageSetup setup)
    {
        foreach (var stage in stages)
        {
            stage.Initialize(setup);
        }
    }

    /// <summary>The sampled clients that may take part, and the failures of those that may not.</summary>
    public (IReadOnlyList<FedClient> Available, IReadOnlyList<ClientFailure> Unavailable) Admit(long seed, int round, IReadOnlyList<FedClient> sampled)
    {
        var available = new List<FedClient>();
        var unavailable = new List<ClientFailure>();
        foreach (var client in sampled)
        {
            var failure = stages.Where(s => s.AppliesTo(client.Id)).Select(s => s.Admit(seed, round, client)).FirstOrDefault(f => f is not null);
            if (failure is null)
            {
                available.Add(client);
            }
            else
            {
                unavailable.Add(failure);
            }
        }

        return (available, unavailable);
    }

    public IReadOnlyList<ClientAssignment> Prepare(IReadOnlyList<ClientAssignment> assignments) =>
        stages.Length == 0 ? assignments
            : assignments.Select(a => stages.Where(s => s.AppliesTo(a.ClientId)).Aggregate(a, (current, stage) => stage.Prepare(current))).ToArray();

    /// <summary>The bytes the client's update will take on the wire: its payload (shaped like its start) in the stages' encoding, plus any extra exchange.</summary>
    public long PlannedBytesUp(ClientAssignment assignment)
    {
        if (!assignment.Transmits)
        {
            return 0;
        }

        var encoded = stages.Where(s => s.AppliesTo(assignment.ClientId)).Select(s => s.EncodedBytes(assignment.Start)).LastOrDefault(b => b is not null);
        return (encoded ?? assignment.Start.ByteCount) + assignment.ExtraBytesUp;
    }

    /// <summary>The failure of a client that would not deliver in time, or null.</summary>
    public ClientFailure? Schedule(ClientAssignment assignment)
    {
        if (stages.Length == 0)
        {
            return null;
        }

        var bytesUp = PlannedBytesUp(assignment);
        return stages.Where(s => s.AppliesTo(assignment.ClientId)).Select(s => s.Schedule(assignment, assignment.BytesDown, bytesUp)).FirstOrDefault(f => f is not null);
    }

    /// <summary>What the client sends: <paramref name="update"/> through every stage that applies to it (intermediate updates are disposed).</summary>
    public ClientUpdate Transform(ClientUpdate update, long seed, int round)
    {
        var current = update;
        foreach (var stage in stages.Where(s => s.AppliesTo(update.ClientId)))
        {
            var next = stage.Transform(current, seed, round);
            if (!ReferenceEquals(next, current) && !ReferenceEquals(current, update))
            {
                current.Dispose();
            }

            current = next;
        }

        if (!ReferenceEquals(current, update))
        {
            update.Dispose();
        }

        return current;
    }

    /// <summary>The round's mean: a stage's (central DP), or the sample-weighted one.</summary>
    public RoundMean BeginMean(RoundContext round, ParameterSet global) =>
        stages.Select(s => s.BeginMean(round, global)).FirstOrDefault(m => m is not null) ?? new WeightedMean();

    /// <summary>Commits what the round advanced in every stage and returns their numbers.</summary>
    public Dictionary<string, double> CompleteRound(RoundContext round)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var stage in stages)
        {
            stage.CompleteRound(round, metrics);
        }

        return metrics;
    }

    public void AbandonRound(RoundContext round)
    {
        foreach (var stage in stages)
        {
            stage.AbandonRound(round);
        }
    }

    /// <summary>Every stage's state under stage/{name}/.</summary>
    public void SaveState(StrategyState state)
    {
        foreach (var stage in stages)
        {
            var own = new StrategyState();
            stage.SaveState(own);
            foreach (var (name, value) in own.Tensors)
            {
                state.Add($"{StatePrefix}{stage.Name}/{name}", value);
            }
        }
    }

    public void LoadState(StrategyState state)
    {
        foreach (var stage in stages)
        {
            stage.LoadState(new StrategyState(state.Under($"{StatePrefix}{stage.Name}/").ToDictionary(t => t.Name, t => t.Value)));
        }
    }

    public void Dispose()
    {
        foreach (var stage in stages)
        {
            stage.Dispose();
        }
    }
}
