using System.Diagnostics;
using System.Runtime.CompilerServices;
using FedPS.Core.Federation;
using FedPS.Core.Models;

namespace FedPS.Core.Simulation;

/// <summary>Where a round stands.</summary>
public enum RoundStatus
{
    /// <summary>Configured; clients may train and updates may be accepted.</summary>
    Open,

    /// <summary>Aggregated and recorded in the server's history.</summary>
    Completed,

    /// <summary>Given up (Ctrl+C, a stopping divergence, a failed aggregation): the server is as it was before the round.</summary>
    Abandoned,
}

/// <summary>
/// One round of a <see cref="FedServer"/>, stage by stage: it is started (clients sampled, the strategy configures
/// each), its clients <see cref="Train"/>, their updates are <see cref="Accept"/>ed into the strategy's aggregation
/// as they arrive, and <see cref="Complete"/> aggregates, evaluates and records the round. <see cref="FedServer.RunRound"/>
/// is exactly these stages in a row, so running them by hand (Start-FedRound | Invoke-FedLocalTraining | ... |
/// Complete-FedRound) gives the same numbers. Nothing of the strategy changes before <see cref="Complete"/>, so an
/// abandoned round leaves the server at its last completed round.
/// </summary>
public sealed class FedRound : IDisposable
{
    private static readonly ConditionalWeakTable<RoundContext, FedRound> Rounds = new();

    private readonly FedServer server;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Dictionary<int, ClientAssignment> assignments;
    private readonly Dictionary<int, ClientRoundResult> trained = [];
    private readonly HashSet<int> finished = [];
    private readonly List<ClientRoundResult> accepted = [];
    private readonly HashSet<ParameterSet> acceptedSets = new(ReferenceEqualityComparer.Instance);
    private readonly List<ClientFailure> failures = [];
    private RoundAggregation? aggregation;

    internal FedRound(FedServer server, RoundContext context, IReadOnlyList<ClientAssignment> assignments)
    {
        this.server = server;
        Context = context;
        Assignments = assignments;
        this.assignments = assignments.ToDictionary(a => a.ClientId);
        failures.AddRange(context.Unavailable);
        Rounds.AddOrUpdate(context, this);
    }

    [Newtonsoft.Json.JsonIgnore]
    public FedServer Server => server;

    public int Number => Context.Number;

    [Newtonsoft.Json.JsonIgnore]
    public RoundContext Context { get; }

    public IReadOnlyList<ClientAssignment> Assignments { get; }

    public RoundStatus Status { get; private set; } = RoundStatus.Open;

    /// <summary>The failures recorded so far (unavailable, late and diverged clients).</summary>
    public IReadOnlyList<ClientFailure> Failures => failures;

    /// <summary>True when the strategy folds each update in as it arrives (the caller may dispose an update once accepted).</summary>
    public bool Streams => Aggregation.Streams;

    private RoundAggregation Aggregation => aggregation ??= server.Strategy.BeginAggregation(Context);

    /// <summary>The open round a strategy's round context belongs to (how the stage cmdlets find it from an assignment or update).</summary>
    public static FedRound Of(RoundContext context) =>
        Rounds.TryGetValue(context, out var round)
            ? round
            : throw new FedPSException(FedErrorKind.ObjectNotFound, $"Round {context.Number} does not belong to any server.", context);

    /// <summary>
    /// Runs one client's local training and returns what it sends, after the server's stages (an attack, local DP,
    /// compression). A client that would miss the round's deadline is not trained: it is recorded as failed (Deadline)
    /// and null is returned. A diverging client stops the round (which is abandoned) under
    /// <see cref="DivergencePolicy.Stop"/>; under <see cref="DivergencePolicy.Continue"/> it is recorded as failed and
    /// null is returned.
    /// </summary>
    public ClientUpdate? Train(ClientAssignment assignment, IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        EnsureOpen("train a client");
        if (!assignments.TryGetValue(assignment.ClientId, out var own) || !ReferenceEquals(own, assignment))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"That assignment is not one of round {Number}'s.", assignment);
        }

        if (trained.ContainsKey(assignment.ClientId) || failures.Any(f => f.ClientId == assignment.ClientId))
        {
            throw new FedPSException(FedErrorKind.InvalidOperation, $"Client {assignment.ClientId} already trained in round {Number}.", assignment.ClientId);
        }

        if (server.Stages.Schedule(assignment) is { } late)
        {
            failures.Add(late);
            trained[assignment.ClientId] = new ClientRoundResult
            {
                ClientId = assignment.ClientId, Samples = assignment.Samples, TrainLoss = double.NaN, Steps = 0,
                BytesUp = 0, BytesDown = assignment.BytesDown,
            };
            return null;
        }

        var index = Assignments.Count == 0 ? 0 : IndexOf(assignment);
        var local = progress is null ? null : new LocalProgressAdapter(progress, Number, index, Assignments.Count);
        try
        {
            var update = server.Stages.Transform(server.Trainer.Train(assignment, cancel, local), Context.Seed, Number);
            trained[assignment.ClientId] = ClientRoundResult.From(update);
            finished.Add(assignment.ClientId);
            return update;
        }
        catch (FedDivergenceException ex) when (server.OnDivergence == DivergencePolicy.Continue)
        {
            failures.Add(new ClientFailure(assignment.ClientId, FailureReason.Diverged, ex.Message));
            trained[assignment.ClientId] = new ClientRoundResult
            {
                ClientId = assignment.ClientId, Samples = assignment.Samples, TrainLoss = double.NaN, Steps = ex.Step,
                BytesUp = 0, BytesDown = assignment.BytesDown,
            };
            return null;
        }
        catch (Exception ex) when (ex is FedDivergenceException or OperationCanceledException)
        {
            // A stopping divergence or Ctrl+C gives the round up: the server stays at its last completed round.
            Abandon();
            throw;
        }
    }

    /// <summary>
    /// Hands an update to the aggregation. It must come from a client sampled this round that has not delivered yet;
    /// an update built by hand (New-FedUpdate) is taken as that client's.
    /// </summary>
    public void Accept(ClientUpdate update)
    {
        EnsureOpen("accept an update");
        if (update.Round is { } from && !ReferenceEquals(from, Context))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The update of client {update.ClientId} was trained in round {from.Number} of {(Rounds.TryGetValue(from, out var other) ? other.server.Name : "another server")}, not in round {Number} of {server.Name}.", update);
        }

        if (!assignments.ContainsKey(update.ClientId))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Client {update.ClientId} was not sampled in round {Number} (sampled: {string.Join(", ", assignments.Keys)}).", update.ClientId);
        }

        if (accepted.Any(r => r.ClientId == update.ClientId))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Round {Number} already has an update of client {update.ClientId}.", update.ClientId);
        }

        server.Strategy.Global.EnsureLike(update.Parameters, $"accept client {update.ClientId}'s update into round {Number}");
        Aggregation.Add(update);
        acceptedSets.Add(update.Parameters);
        accepted.Add(ClientRoundResult.From(update)); // what was sent: after any stage of the pipeline (clipping, compression)
    }

    /// <summary>
    /// Aggregates what was accepted (sampled clients that delivered nothing are reported to the strategy as failures),
    /// commits the new global parameters, evaluates on the server's test data, and records the round.
    /// </summary>
    public RoundResult Complete(bool evaluate = true)
    {
        EnsureOpen("complete the round");
        try
        {
            var missing = Assignments.Where(a => accepted.All(r => r.ClientId != a.ClientId) && failures.All(f => f.ClientId != a.ClientId))
                .Select(a => trained.ContainsKey(a.ClientId)
                    ? new ClientFailure(a.ClientId, FailureReason.Excluded, $"Client {a.ClientId} trained, but its update did not reach the aggregation.")
                    : new ClientFailure(a.ClientId, FailureReason.Excluded, $"Client {a.ClientId} did not train."));
            failures.AddRange(missing.ToArray());
            var strategy = server.Strategy;
            if (accepted.Count > 0)
            {
                strategy.CommitAggregate(Aggregation.Complete(failures), acceptedSets, Number);
            }

            strategy.CompleteRound(Context, Assignments.Where(a => finished.Contains(a.ClientId)).ToArray());
            foreach (var unfinished in Assignments.Where(a => !finished.Contains(a.ClientId)))
            {
                unfinished.ClientState?.Dispose(); // the strategy took over the finished clients' state only
            }

            var stageMetrics = server.Stages.CompleteRound(Context);
            var test = server.TestData is null || !evaluate ? new Evaluation(double.NaN, double.NaN, 0) : strategy.Evaluate(server.Evaluator, server.TestData);
            var weight = accepted.Sum(r => (double)r.Samples);
            var result = new RoundResult
            {
                Round = Number,
                Server = server.Name,
                Strategy = strategy.Name,
                SampledClients = Assignments.Select(a => a.ClientId).Concat(Context.Unavailable.Select(f => f.ClientId)).Order().ToArray(),
                Failures = [.. failures],
                TrainLoss = accepted.Count == 0 ? double.NaN : accepted.Sum(r => r.TrainLoss * r.Samples) / weight,
                TestLoss = test.Loss,
                TestAccuracy = test.Accuracy,
                BytesUp = accepted.Sum(r => r.BytesUp) + trained.Values.Where(t => accepted.All(r => r.ClientId != t.ClientId)).Sum(t => t.BytesUp),
                BytesDown = trained.Values.Sum(r => r.BytesDown),
                Duration = clock.Elapsed,
                Metrics = accepted.SelectMany(r => r.Metrics).GroupBy(m => m.Key).Select(g => KeyValuePair.Create(g.Key, g.Average(m => m.Value)))
                    .Concat(stageMetrics).ToDictionary(),
                ClientResults = [.. accepted],
                IsLanguageModel = server.Model.Spec.Gpt is not null,
            };
            server.Record(result);
            Status = RoundStatus.Completed;
            return result;
        }
        catch
        {
            Abandon();
            throw;
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Gives the round up: client state carried in its assignments is dropped, the strategy is untouched.</summary>
    public void Abandon()
    {
        if (Status != RoundStatus.Open)
        {
            return;
        }

        Status = RoundStatus.Abandoned;
        foreach (var assignment in Assignments)
        {
            assignment.ClientState?.Dispose();
        }

        server.Stages.AbandonRound(Context);

        Close();
    }

    public void Dispose() => Abandon();

    public override string ToString() => $"round {Number} of {server.Name} ({Status})";

    private void Close()
    {
        aggregation?.Dispose();
        aggregation = null;
        Context.Dispose();
        server.Closed(this);
    }

    private int IndexOf(ClientAssignment assignment)
    {
        for (var i = 0; i < Assignments.Count; i++)
        {
            if (ReferenceEquals(Assignments[i], assignment))
            {
                return i;
            }
        }

        return 0;
    }

    private void EnsureOpen(string what)
    {
        if (Status != RoundStatus.Open)
        {
            throw new FedPSException(FedErrorKind.InvalidOperation,
                $"Cannot {what}: round {Number} of {server.Name} is {Status.ToString().ToLowerInvariant()}. Start a new one with Start-FedRound.", this);
        }
    }

    private sealed class LocalProgressAdapter(IProgress<RoundProgress> progress, int round, int index, int count) : IProgress<LocalProgress>
    {
        public void Report(LocalProgress value) =>
            progress.Report(new RoundProgress(round, index, count, value.ClientId, value.Step, value.Steps));
    }
}
