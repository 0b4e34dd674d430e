using System.Diagnostics;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Simulation;

/// <summary>
/// A federated simulation: one global model, the clients, a strategy, optional test data, and the rounds run
/// so far. Each server owns its networks, so several servers built from one <see cref="FedModel"/> do not interfere.
/// </summary>
public sealed class FedServer : IDisposable
{
    private readonly List<RoundResult> history = [];
    private readonly LocalTrainer trainer;

    public FedServer(FedModel model, IReadOnlyList<FedClient> clients, FederatedStrategy strategy, FedDataset? testData = null,
        double sampleFraction = 1.0, int seed = 0, DivergencePolicy onDivergence = DivergencePolicy.Stop)
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

        ClientSampler.Sample(clients.Count, sampleFraction, seed, 1); // validates the fraction now, not in round 1
        Model = model;
        Clients = clients.OrderBy(c => c.Id).ToArray();
        Strategy = strategy;
        TestData = testData;
        SampleFraction = sampleFraction;
        Seed = seed;
        OnDivergence = onDivergence;
        GlobalModule = model.CreateReplica();
        trainer = new LocalTrainer(model.CreateReplica());
        using var initial = ParameterSet.From(GlobalModule, trainableOnly: true);
        Strategy.Initialize(initial, Clients);
    }

    public FedModel Model { get; }

    /// <summary>The network holding the current global parameters (updated after every round).</summary>
    public nn.Module<Tensor, Tensor> GlobalModule { get; }

    public IReadOnlyList<FedClient> Clients { get; }

    public FederatedStrategy Strategy { get; }

    public FedDataset? TestData { get; }

    public double SampleFraction { get; }

    public int Seed { get; }

    /// <summary>What a diverging client does to the round: stop the run, or drop that client's update.</summary>
    public DivergencePolicy OnDivergence { get; }

    /// <summary>The number of completed rounds.</summary>
    public int Round => history.Count;

    public IReadOnlyList<RoundResult> History => history;

    /// <summary>
    /// Runs the next round. If <paramref name="cancel"/> fires (Ctrl+C), the round is abandoned between two
    /// local steps and the server keeps the state of the last completed round.
    /// </summary>
    /// <param name="evaluate">False skips the test-set evaluation (TestLoss and TestAccuracy are NaN), for an evaluation cadence.</param>
    public RoundResult RunRound(IProgress<RoundProgress>? progress = null, CancellationToken cancel = default, bool evaluate = true)
    {
        var round = Round + 1;
        var clock = Stopwatch.StartNew();
        var sampled = ClientSampler.Sample(Clients.Count, SampleFraction, Seed, round);
        var updates = new List<ClientUpdate>(sampled.Length);
        var dropped = new List<int>();
        try
        {
            var work = sampled.Select((c, index) => new ClientRound(Clients[c], round, Seed, trainer, cancel, progress is null
                ? null
                : new SynchronousProgress<LocalProgress>(p =>
                    progress.Report(new RoundProgress(round, index, sampled.Length, p.ClientId, p.Step, p.Steps))))).ToArray();
            Strategy.BeginRound(work);
            foreach (var client in work)
            {
                try
                {
                    updates.Add(Strategy.TrainClient(client));
                }
                catch (FedDivergenceException) when (OnDivergence == DivergencePolicy.Continue)
                {
                    dropped.Add(client.Client.Id);
                }
            }

            cancel.ThrowIfCancellationRequested();
            var droppedBytesDown = dropped.Count * Strategy.Global.ByteCount; // a dropped client still received the model
            if (updates.Count > 0)
            {
                Strategy.Aggregate(updates, round);
            }

            Strategy.Global.CopyTo(GlobalModule);
            var test = TestData is null || !evaluate ? new Evaluation(double.NaN, double.NaN, 0) : EvaluateGlobal(TestData);
            var weight = Math.Max(1, updates.Sum(u => (double)u.SampleCount));
            var result = new RoundResult
            {
                Round = round,
                Strategy = Strategy.Name,
                SampledClients = sampled.Select(i => Clients[i].Id).ToArray(),
                TrainLoss = updates.Count == 0 ? double.NaN : updates.Sum(u => u.TrainLoss * u.SampleCount) / weight,
                DroppedClients = [.. dropped],
                TestLoss = test.Loss,
                TestAccuracy = test.Accuracy,
                BytesUp = updates.Sum(u => u.BytesUp),
                BytesDown = updates.Sum(u => u.BytesDown) + droppedBytesDown,
                Duration = clock.Elapsed,
                Metrics = updates.SelectMany(u => u.Metrics).GroupBy(m => m.Key)
                    .ToDictionary(g => g.Key, g => g.Average(m => m.Value)),
                ClientResults = updates.Select(ClientRoundResult.From).ToArray(),
            };
            history.Add(result);
            return result;
        }
        finally
        {
            foreach (var update in updates)
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
        Strategy.LoadStateTensors(state);
        Strategy.Global.CopyTo(GlobalModule);
        history.Clear();
        history.AddRange(completed);
    }

    /// <summary>
    /// The global loss and accuracy on <paramref name="data"/>, as each round's TestLoss reports it: the global
    /// model's, or under a personalizing strategy the mean over the clients' own models.
    /// </summary>
    public LossMeasurement MeasureGlobal(FedDataset data)
    {
        Model.EnsureAccepts(data);
        var e = EvaluateGlobal(data);
        return new LossMeasurement("Global", null, data.Name, e.Samples, e.Loss, e.Accuracy, Round);
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
            var e = Evaluator.Evaluate(ModuleFor(client.Id), target);
            yield return new LossMeasurement("Client", client.Id, target.Name, e.Samples, e.Loss, e.Accuracy, Round);
        }
    }

    /// <summary>
    /// The network holding client <paramref name="clientId"/>'s model, or the global one for null or a
    /// non-personalizing strategy. A client's model is loaded into the shared worker network, so it stays valid
    /// only until the next call or round.
    /// </summary>
    public nn.Module<Tensor, Tensor> ModuleFor(int? clientId)
    {
        if (clientId is { } id && Clients.All(c => c.Id != id))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The server has no client {id}.", id);
        }

        if (clientId is null || !Strategy.IsPersonalized)
        {
            return GlobalModule;
        }

        Strategy.ParametersFor(clientId.Value).CopyTo(trainer.Worker);
        return trainer.Worker;
    }

    // The global model on the data; under a personalizing strategy, the mean over the clients' own models.
    private Evaluation EvaluateGlobal(FedDataset data)
    {
        if (!Strategy.IsPersonalized)
        {
            return Evaluator.Evaluate(GlobalModule, data);
        }

        var each = Clients.Select(c => Evaluator.Evaluate(ModuleFor(c.Id), data)).ToArray();
        return new Evaluation(each.Average(e => e.Loss), each.Average(e => e.Accuracy), data.Count);
    }

    public void Dispose()
    {
        Strategy.Dispose();
        GlobalModule.Dispose();
        trainer.Worker.Dispose();
    }

    /// <summary>Reports on the calling thread (unlike <see cref="Progress{T}"/>, which posts to a context).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
