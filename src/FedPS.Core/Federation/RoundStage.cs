using FedPS.Core.Models;

namespace FedPS.Core.Federation;

/// <summary>
/// A mechanism that takes part in a server's rounds beside its strategy (Federation.Stages holds them: client
/// availability, Byzantine attacks, local and central differential privacy, update compression). A round asks its
/// stages, in <see cref="Order"/>, at fixed places:
/// <code>
///   start       Admit        may a sampled client take part (dropout, availability trace)?  → Unavailable
///               Prepare      how a configured client trains (a label-flipping attacker's labels)
///   train       Schedule     would it miss the deadline (a straggler)?                      → Deadline
///               Transform    what the trained client sends (attack → local DP → compression) and its wire bytes
///   aggregate   BeginMean    the round's mean for strategies built on FedAvg's (central DP)
///   complete    CompleteRound  commit the state the round advanced, report numbers (ε, clip norm, time)
/// </code>
/// Nothing a stage keeps changes before <see cref="CompleteRound"/>: an abandoned round (<see cref="AbandonRound"/>)
/// leaves it as it was. Its state goes into checkpoints beside the strategy's (<see cref="SaveState"/>).
/// A stage acts on every client, or only on those of <see cref="ClientIds"/> (an attacker, a client's own option).
/// </summary>
public abstract class RoundStage : IDisposable
{
    private HashSet<int>? scope;

    /// <param name="name">The stage's name in results and checkpoints (unique among a server's stateful stages).</param>
    /// <param name="order">Where it sits among a round's stages (lower first).</param>
    /// <param name="clients">The clients it acts on; null: every client (or, for an attack, the ones it picks).</param>
    protected RoundStage(string name, int order, IEnumerable<int>? clients = null)
    {
        Name = name;
        Order = order;
        scope = clients?.ToHashSet();
    }

    public string Name { get; }

    public int Order { get; }

    /// <summary>The clients it acts on, in order; null when it acts on every client.</summary>
    public IReadOnlyList<int>? ClientIds => scope?.Order().ToArray();

    public bool AppliesTo(int clientId) => scope is null || scope.Contains(clientId);

    /// <summary>Takes the federation; fails clearly on one it cannot serve (an unknown client, an unsuited strategy).</summary>
    public virtual void Initialize(StageSetup setup)
    {
    }

    /// <summary>A failure when sampled client <paramref name="client"/> cannot take part in round <paramref name="round"/> of a run seeded <paramref name="seed"/>; null when it can.</summary>
    public virtual ClientFailure? Admit(long seed, int round, FedClient client) => null;

    /// <summary>The assignment the client trains with (by default unchanged).</summary>
    public virtual ClientAssignment Prepare(ClientAssignment assignment) => assignment;

    /// <summary>A failure when the client would not deliver in time, given the bytes it receives and sends; null when it would.</summary>
    public virtual ClientFailure? Schedule(ClientAssignment assignment, long bytesDown, long bytesUp) => null;

    /// <summary>The bytes a payload shaped like <paramref name="payload"/> takes on the wire under this stage's encoding; null when it does not encode.</summary>
    public virtual long? EncodedBytes(ParameterSet payload) => null;

    /// <summary>
    /// What the client sends instead of <paramref name="update"/> (a new update the caller owns, or the same one).
    /// Random draws derive from (<paramref name="seed"/>, <paramref name="round"/>, client).
    /// </summary>
    public virtual ClientUpdate Transform(ClientUpdate update, long seed, int round) => update;

    /// <summary>The round's mean of the clients' models, when this stage replaces the sample-weighted one; null otherwise.</summary>
    public virtual RoundMean? BeginMean(RoundContext round, ParameterSet global) => null;

    /// <summary>The round completed: commit what it advanced and add the stage's numbers to <paramref name="metrics"/>.</summary>
    public virtual void CompleteRound(RoundContext round, IDictionary<string, double> metrics)
    {
    }

    /// <summary>The round was given up: drop what it advanced.</summary>
    public virtual void AbandonRound(RoundContext round)
    {
    }

    /// <summary>Adds everything needed to continue exactly where the stage stands (names are prefixed by the caller).</summary>
    public virtual void SaveState(StrategyState state)
    {
    }

    public virtual void LoadState(StrategyState state)
    {
    }

    /// <summary>What the stage does, for display (e.g. "DP-FedAvg z=1, S=0.5").</summary>
    public abstract string Describe();

    public override string ToString() => ClientIds is { } ids ? $"{Describe()} on clients {string.Join(", ", ids)}" : Describe();

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Narrows the stage to <paramref name="clients"/> (an attack picking its attackers).</summary>
    protected void Restrict(IEnumerable<int> clients) => scope = clients.ToHashSet();
}

/// <summary>The federation a stage serves: every client, how many a round samples, the run's seed and the strategy.</summary>
public sealed record StageSetup(IReadOnlyList<FedClient> Clients, int ClientsPerRound, int Seed, FederatedStrategy Strategy);

/// <summary>
/// The knobs of one round stage (one record per mechanism, declared beside it in Federation.Stages): the one source of
/// its defaults and validation. Its settable properties are the YAML keys of its section and the parameters of the
/// cmdlet that makes it.
/// </summary>
public abstract record StageOptions : OptionsRecord
{
    /// <summary>Checks every knob, failing with the knob and value named; returns the options to use.</summary>
    public virtual StageOptions Validated() => this;

    /// <summary>True when a client may carry these options as its own (an attack, local DP), not only a server.</summary>
    public virtual bool IsClientOption => false;

    /// <summary>
    /// A new stage for one server, acting on <paramref name="clients"/> (a client's own option) or, when null, on the
    /// clients it chooses (all of them, or an attack's seeded share).
    /// </summary>
    public abstract RoundStage CreateStage(IReadOnlyList<int>? clients = null);

    /// <summary>The stage of an option only a server takes: <paramref name="create"/>, or an error saying where it belongs when given for clients.</summary>
    protected RoundStage ServerStage(IReadOnlyList<int>? clients, string where, Func<RoundStage> create) =>
        clients is null ? create() : throw new FedPSException(FedErrorKind.InvalidArgument, where, this);
}
