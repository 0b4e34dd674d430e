using System.Globalization;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Models;
using FedPS.Core.Primitives;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>
/// A federated simulation: one model, the clients, a strategy, optional test data, and the rounds run so far. A round
/// runs in stages (<see cref="StartRound"/>, then <see cref="FedRound"/>'s Train, Accept and Complete);
/// <see cref="RunRound"/> runs them in a row. Each server owns its networks (one the clients train on in turn, one
/// for evaluation), so several servers built from one <see cref="FedModel"/> do not interfere.
/// </summary>
public sealed class FedServer : IDisposable
{
    private static int serverCount;
    private readonly List<RoundResult> history = [];

    public FedServer(FedModel model, IReadOnlyList<FedClient> clients, FederatedStrategy strategy, FedDataset? testData = null,
        double sampleFraction = 1.0, int seed = 0, DivergencePolicy onDivergence = DivergencePolicy.Stop, string? name = null,
        IReadOnlyList<StageOptions>? stages = null)
    {
        if (clients.Count == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "A server needs at least one client.", clients);
        }

        var duplicate = clients.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Client id {duplicate.Key} appears {duplicate.Count()} times; every client needs its own id.", duplicate.Key);
        }

        foreach (var client in clients)
        {
            model.EnsureAccepts(client.Data.Data);
        }

        if (testData is not null)
        {
            model.EnsureAccepts(testData);
        }

        var perRound = ClientSampler.Count(clients.Count, sampleFraction); // validates the fraction now, not in round 1
        Name = string.IsNullOrWhiteSpace(name) ? string.Create(CultureInfo.InvariantCulture, $"server{Interlocked.Increment(ref serverCount)}") : name;
        Model = model;
        parameterCount = model.ParameterCount;
        Clients = clients.OrderBy(c => c.Id).ToArray();
        TestData = testData;
        SampleFraction = sampleFraction;
        Seed = seed;
        OnDivergence = onDivergence;
        Trainer = new LocalTrainer(model.CreateReplica());
        Evaluator = new ModelEvaluator(model.CreateReplica());
        RoundStages? roundStages = null;
        try
        {
            using var initial = ParameterSet.From(Evaluator.Network, trainableOnly: true);
            strategy.Check(FederationShape.Of(Clients, perRound));
            strategy.Initialize(initial, Clients, perRound);
            roundStages = RoundStages.Create(stages ?? [], Clients);
            roundStages.Initialize(new StageSetup(Clients, perRound, seed, strategy));
        }
        catch
        {
            roundStages?.Dispose();
            Trainer.Dispose();
            Evaluator.Dispose();
            throw;
        }

        Strategy = strategy;
        Stages = roundStages;
    }

    // The model's size, which picks the default thread count of every round (counted once: it never changes).
    private readonly long parameterCount;

    /// <summary>A name that tells this server's results from another's (default server1, server2, ...).</summary>
    public string Name { get; }

    public FedModel Model { get; }

    public IReadOnlyList<FedClient> Clients { get; }

    public FederatedStrategy Strategy { get; }

    /// <summary>
    /// The mechanisms that take part in every round beside the strategy, in order: availability, attacks, local and
    /// central differential privacy, compression (from the server's options and its clients' own).
    /// </summary>
    public RoundStages Stages { get; }

    public FedDataset? TestData { get; }

    public double SampleFraction { get; }

    public int Seed { get; }

    /// <summary>What a diverging client does to the round: stop the run, or drop that client's update.</summary>
    public DivergencePolicy OnDivergence { get; }

    /// <summary>The number of completed rounds.</summary>
    public int Round => history.Count;

    public IReadOnlyList<RoundResult> History => history;

    /// <summary>The round started and not yet completed or abandoned, if any.</summary>
    public FedRound? OpenRound { get; private set; }

    internal LocalTrainer Trainer { get; }

    internal ModelEvaluator Evaluator { get; }

    /// <summary>
    /// Starts the next round: samples its clients (a seed derived from (seed, round), so a resumed run samples the
    /// same ones) and asks the strategy what each gets. At most one round is open; <paramref name="replaceOpen"/>
    /// abandons an open one instead of failing.
    /// </summary>
    public FedRound StartRound(CancellationToken cancel = default, bool replaceOpen = false)
    {
        if (OpenRound is { } open)
        {
            if (!replaceOpen)
            {
                throw new FedPSException(FedErrorKind.InvalidOperation,
                    $"Round {open.Number} of {Name} is still open: complete it (Complete-FedRound) or start again with -Force to abandon it.", this);
            }

            open.Abandon();
        }

        Runtime.FedDevice.UseDefaultThreadsFor(parameterCount);
        var number = Round + 1;
        var sampled = ClientSampler.Sample(Clients.Count, SampleFraction, Seed, number).Select(i => Clients[i]).ToArray();
        var (available, unavailable) = Stages.Admit(Seed, number, sampled);
        RoundContext? context = null;
        context = new RoundContext(number, Seed, available, Trainer, cancel, Stages.All.Count == 0 ? null : global => Stages.BeginMean(context!, global))
        {
            Unavailable = unavailable,
        };
        try
        {
            var assignments = Strategy.Configure(context);
            EnsureOnePerSampledClient(assignments, available, number);
            OpenRound = new FedRound(this, context, Stages.Prepare(assignments));
            return OpenRound;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the next round: start, train every sampled client and hand its update to the aggregation as it arrives,
    /// complete. If <paramref name="cancel"/> fires (Ctrl+C), the round is abandoned between two local steps and the
    /// server keeps the state of the last completed round.
    /// </summary>
    /// <param name="evaluate">False skips the test-set evaluation (TestLoss and TestAccuracy are NaN), for an evaluation cadence.</param>
    public RoundResult RunRound(IProgress<RoundProgress>? progress = null, CancellationToken cancel = default, bool evaluate = true)
    {
        using var round = StartRound(cancel);
        var held = new List<ClientUpdate>();
        try
        {
            foreach (var assignment in round.Assignments)
            {
                var update = round.Train(assignment, progress, cancel);
                if (update is null)
                {
                    continue;
                }

                round.Accept(update);
                if (round.Streams)
                {
                    update.Dispose();
                }
                else
                {
                    held.Add(update);
                }
            }

            cancel.ThrowIfCancellationRequested();
            return round.Complete(evaluate);
        }
        finally
        {
            foreach (var update in held)
            {
                update.Dispose();
            }
        }
    }

    /// <summary>
    /// Puts the server back where a checkpoint left it: the completed rounds and the strategy's state. Every
    /// random draw of a round derives from (seed, round, client), so the next round continues exactly.
    /// </summary>
    public void Restore(IReadOnlyList<RoundResult> completed, IReadOnlyDictionary<string, Tensor> state)
    {
        OpenRound?.Abandon();
        Strategy.LoadStateTensors(state);
        Stages.LoadState(new StrategyState(state));
        history.Clear();
        history.AddRange(completed);
    }

    /// <summary>Everything a checkpoint keeps: the strategy's state and every stage's (under stage/{name}/).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> StateTensors()
    {
        var state = new StrategyState();
        foreach (var (name, value) in Strategy.StateTensors())
        {
            state.Add(name, value);
        }

        Stages.SaveState(state);
        return state.Tensors;
    }

    /// <summary>
    /// The global loss and accuracy on <paramref name="data"/>, as each round's TestLoss reports it: the strategy's
    /// evaluation (the global model's, or under a personalizing strategy the mean over the clients' own models).
    /// </summary>
    public LossMeasurement MeasureGlobal(FedDataset data)
    {
        Model.EnsureAccepts(data);
        var e = Strategy.Evaluate(Evaluator, data);
        return new LossMeasurement("Global", null, data.Name, e.Samples, e.Loss, e.Accuracy, Round) { IsLanguageModel = Model.Spec.Gpt is not null };
    }

    /// <summary>
    /// Each client's model (the global one, or the client's own under a personalizing strategy such as Mira) on
    /// <paramref name="data"/> when given, else on the client's own data: its test split when
    /// <paramref name="test"/> is set (clients made by task carry one), else its training shard.
    /// </summary>
    public IEnumerable<LossMeasurement> MeasureClients(IEnumerable<int>? clientIds = null, FedDataset? data = null, bool test = false)
    {
        if (data is not null)
        {
            Model.EnsureAccepts(data);
        }

        var wanted = clientIds?.ToHashSet();
        foreach (var client in Clients.Where(c => wanted is null || wanted.Contains(c.Id)))
        {
            var target = data ?? (test
                ? client.Data.Test ?? throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"Client {client.Id} has no test data of its own (clients made with Split-FedDataset -ByTask have).", client.Id)
                : client.Data.Data);
            var e = Evaluator.Evaluate(Strategy.ParametersFor(client.Id), target);
            yield return new LossMeasurement("Client", client.Id, target.Name, e.Samples, e.Loss, e.Accuracy, Round) { IsLanguageModel = Model.Spec.Gpt is not null };
        }
    }

    /// <summary>
    /// A network holding client <paramref name="clientId"/>'s model (the global one for null or a non-personalizing
    /// strategy). It is the server's evaluation network, valid until the next evaluation or call.
    /// </summary>
    public nn.Module<Tensor, Tensor> ModuleFor(int? clientId)
    {
        if (clientId is { } id && Clients.All(c => c.Id != id))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The server has no client {id}.", id);
        }

        return Evaluator.Load(clientId is { } client ? Strategy.ParametersFor(client) : Strategy.Global);
    }

    public override string ToString() => $"{Name}: {Strategy.Name}, {Clients.Count} clients, round {Round}";

    public void Dispose()
    {
        OpenRound?.Abandon();
        Strategy.Dispose();
        Stages.Dispose();
        Trainer.Dispose();
        Evaluator.Dispose();
    }

    internal void Record(RoundResult result) => history.Add(result);

    internal void Closed(FedRound round)
    {
        if (ReferenceEquals(OpenRound, round))
        {
            OpenRound = null;
        }
    }

    private static void EnsureOnePerSampledClient(IReadOnlyList<ClientAssignment>? assignments, IReadOnlyList<FedClient> sampled, int round)
    {
        var ids = assignments?.Select(a => a.ClientId).Order().ToArray() ?? [];
        if (!ids.SequenceEqual(sampled.Select(c => c.Id).Order()))
        {
            throw new FedPSException(FedErrorKind.InvalidResult,
                $"The strategy's configuration for round {round} must assign each sampled client ({string.Join(", ", sampled.Select(c => c.Id))}) " +
                $"exactly once, but assigned: {(ids.Length == 0 ? "none" : string.Join(", ", ids))}.", assignments);
        }
    }
}
