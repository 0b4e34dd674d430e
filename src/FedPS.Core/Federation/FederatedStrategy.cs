using FedPS.Core.Data;
using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>
/// A federated algorithm, in the shape of Flower's Strategy. A round is:
/// <list type="number">
/// <item><see cref="Configure"/>: what each sampled client gets (start parameters, a penalty, carried optimizer
/// state, an extra exchange);</item>
/// <item>the clients train (the server runs them; a strategy never touches a network);</item>
/// <item><see cref="Aggregate"/>(results, failures): the new global parameters from the updates that arrived, told
/// which sampled clients failed and why — or, for rules that fold updates in one at a time, the streaming form
/// <see cref="BeginAggregation"/>;</item>
/// <item><see cref="Evaluate"/>: the global loss (a personalizing strategy evaluates its clients' own models).</item>
/// </list>
/// State for checkpoints goes through <see cref="SaveState"/>/<see cref="LoadState"/>. Subclass it in C# (one file
/// per algorithm under Federation/Strategies) or in a PowerShell class: override <see cref="Aggregate"/> and
/// return the new global parameters.
/// </summary>
public abstract class FederatedStrategy : IDisposable
{
    private readonly List<string> warnings = [];
    private ParameterSet? global;

    /// <summary>A strategy named after its class.</summary>
    protected FederatedStrategy()
        : this(null)
    {
    }

    /// <param name="name">The strategy's name in results; the class name when null.</param>
    protected FederatedStrategy(string? name)
    {
        Name = string.IsNullOrWhiteSpace(name) ? GetType().Name : name;
    }

    public string Name { get; }

    /// <summary>The server's current model parameters (what it sends and what is evaluated).</summary>
    public ParameterSet Global => global ?? throw new FedPSException(FedErrorKind.InvalidOperation,
        $"The strategy {Name} has no global parameters yet: give it to New-FedServer, or to Merge-FedUpdate with -Global.", Name);

    public bool IsInitialized => global is not null;

    /// <summary>What the strategy found questionable about its settings or federation (e.g. an unstable step); the cmdlets show them.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>
    /// True when <see cref="BeginAggregation"/> folds each update in as it arrives, so a round's memory does not grow
    /// with the number of sampled clients; false when the rule needs every update at once (median, Krum, Mira).
    /// </summary>
    public virtual bool StreamsUpdates => false;

    /// <summary>
    /// True when the new global model is a server step from the mean of the clients' models taken through
    /// <see cref="RoundContext.BeginMean"/> (FedAvg and the strategies built on its mean), so that a privatized mean —
    /// central differential privacy — governs what the server learns. A server refuses central DP for other strategies.
    /// </summary>
    public virtual bool AveragesModels => false;

    /// <summary>
    /// Fails clearly on a federation the strategy cannot run (FedSophia's clients must train with Sophia; Krum needs
    /// 2f + 3 updates per round). Called before <see cref="Initialize"/> by the server, and by experiment plans with
    /// the planned federation, so a sweep refuses such a run before anything starts.
    /// </summary>
    public virtual void Check(FederationShape federation)
    {
    }

    /// <summary>
    /// Takes the initial parameters and the federation: every client, and how many are sampled per round.
    /// </summary>
    public virtual void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients, int clientsPerRound) =>
        ReplaceGlobal(initial.Clone());

    /// <summary>The trainable parameters client <paramref name="clientId"/> starts from and is evaluated with: the global ones unless the strategy personalizes.</summary>
    public virtual ParameterSet ParametersFor(int clientId) => Global;

    /// <summary>What each sampled client gets this round; by default plain local training from <see cref="ParametersFor"/>.</summary>
    public virtual IReadOnlyList<ClientAssignment> Configure(RoundContext round) =>
        round.Sampled.Select(c => new ClientAssignment(round, c, ParametersFor(c.Id))).ToArray();

    /// <summary>
    /// Combines the round's updates into the new global parameters (Flower's aggregate_fit). <paramref name="results"/>
    /// are the updates that arrived, in arrival order; <paramref name="failures"/> the sampled clients whose update did
    /// not, and why. Return a new parameter set shaped like <see cref="Global"/>; the server validates it (names,
    /// shapes, dtypes, finite values) before it replaces the global one, so a failed aggregation leaves the server as
    /// it was. Not called for a round without results.
    /// </summary>
    public abstract ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures);

    /// <summary>
    /// The aggregation of one round, fed one update at a time. By default the updates are kept and
    /// <see cref="Aggregate"/> runs at the end; strategies whose rule is a running sum override it to stream.
    /// </summary>
    public virtual RoundAggregation BeginAggregation(RoundContext round) => new BufferedAggregation(this, round);

    /// <summary>
    /// Called once a round completed, with the assignments whose clients finished training: the place to commit
    /// client-side state they advanced (see <see cref="ClientAssignment.ClientState"/>). Not called for an abandoned round.
    /// </summary>
    public virtual void CompleteRound(RoundContext round, IReadOnlyList<ClientAssignment> trained)
    {
    }

    /// <summary>The global loss and accuracy on <paramref name="data"/>: of <see cref="Global"/>, unless the strategy personalizes.</summary>
    public virtual Evaluation Evaluate(ModelEvaluator evaluator, FedDataset data) => evaluator.Evaluate(Global, data);

    /// <summary>Adds everything needed to continue exactly where the strategy stands (by default the global parameters).</summary>
    public virtual void SaveState(StrategyState state) => state.Add("global/", Global);

    /// <summary>Restores what <see cref="SaveState"/> wrote (values are copied).</summary>
    public virtual void LoadState(StrategyState state) => state.CopyTo("global/", Global);

    /// <summary>The strategy's state as named tensors (for checkpoints).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> StateTensors()
    {
        var state = new StrategyState();
        SaveState(state);
        return state.Tensors;
    }

    /// <summary>Restores the state a checkpoint holds.</summary>
    public void LoadStateTensors(IReadOnlyDictionary<string, Tensor> saved) => LoadState(new StrategyState(saved));

    /// <summary>
    /// Commits what an aggregation returned: an error if it returned nothing, a copy if it returned one of the
    /// updates' own parameter sets (which their owner disposes), then <see cref="CommitGlobal"/>.
    /// </summary>
    public void CommitAggregate(ParameterSet? next, IEnumerable<ParameterSet> inputs, int round)
    {
        if (next is null)
        {
            throw new FedPSException(FedErrorKind.InvalidResult,
                $"{Name}'s aggregation returned nothing in round {round}; it must return the new global parameters.", Name);
        }

        CommitGlobal(inputs.Any(input => ReferenceEquals(input, next)) ? next.Clone() : next, round);
    }

    /// <summary>
    /// Replaces the global parameters with <paramref name="next"/> after checking it: the same names, shapes and dtypes,
    /// and finite values. On failure nothing changes. Takes ownership of <paramref name="next"/>.
    /// </summary>
    public void CommitGlobal(ParameterSet next, int round)
    {
        if (ReferenceEquals(next, global))
        {
            return;
        }

        if (Global.Describe(next) is { } difference)
        {
            throw new FedPSException(FedErrorKind.InvalidResult,
                $"{Name}'s aggregation in round {round} returned parameters unlike the global ones: {difference}.", Name);
        }

        if (!next.AllFinite())
        {
            throw new FedPSException(FedErrorKind.Diverged,
                $"{Name}'s server update in round {round} produced NaN or infinite parameters; the server keeps round {round - 1}'s. " +
                "Lower the server learning rate or step size.", Name);
        }

        ReplaceGlobal(next);
    }

    public override string ToString() => Name;

    protected void Warn(string message) => warnings.Add(message);

    /// <summary>Makes <paramref name="next"/> the global parameters (no checks), disposing the previous ones.</summary>
    protected void ReplaceGlobal(ParameterSet next)
    {
        var previous = global;
        global = next;
        if (!ReferenceEquals(previous, next))
        {
            previous?.Dispose();
        }
    }

    public virtual void Dispose()
    {
        global?.Dispose();
        global = null;
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// One round's aggregation, fed one update at a time by whoever runs the round. <see cref="Streams"/> says whether
/// an update is folded in at once (the caller may then dispose it) or kept until <see cref="Complete"/>.
/// </summary>
public abstract class RoundAggregation(RoundContext round) : IDisposable
{
    public RoundContext Round { get; } = round;

    public abstract bool Streams { get; }

    public abstract void Add(ClientUpdate update);

    /// <summary>The new global parameters (the caller owns them), or null when the strategy returned nothing.</summary>
    public abstract ParameterSet? Complete(IReadOnlyList<ClientFailure> failures);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>Keeps the round's updates and hands them to <see cref="FederatedStrategy.Aggregate"/> at the end.</summary>
public sealed class BufferedAggregation(FederatedStrategy strategy, RoundContext round) : RoundAggregation(round)
{
    private readonly List<ClientUpdate> updates = [];

    public override bool Streams => false;

    public override void Add(ClientUpdate update) => updates.Add(update);

    public override ParameterSet? Complete(IReadOnlyList<ClientFailure> failures) => strategy.Aggregate(Round, updates, failures);
}

/// <summary>What a strategy may need to know of a federation before it runs: how many clients, how many per round, and how they train.</summary>
public sealed record FederationShape(int Clients, int ClientsPerRound, IReadOnlyList<string> Optimizers)
{
    public static FederationShape Of(IReadOnlyList<FedClient> clients, int clientsPerRound) =>
        new(clients.Count, clientsPerRound, clients.Select(c => c.Training.Optimizer.Name).Distinct().ToArray());
}
