using System.Globalization;
using FedPS.Core.Data;
using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>Mira's knobs.</summary>
public sealed record MiraOptions : StrategyOptions
{
    /// <summary>λ ≥ 0: the strength of the pull towards related clients (0 = local-only training).</summary>
    public double Lambda { get; init; } = 0.05;

    /// <summary>η &gt; 0: the server step size.</summary>
    public double StepSize { get; init; } = 1.0;

    /// <summary>The task graph a_kℓ: Uniform (complete graph), Matrix (<see cref="AdjacencyMatrix"/>) or TokenSimilarity.</summary>
    public AdjacencyKind Adjacency { get; init; } = AdjacencyKind.Uniform;

    /// <summary>A K×K weight matrix, rows and columns in client-id order; implies Adjacency = Matrix.</summary>
    public double[][]? AdjacencyMatrix { get; init; }

    public override StrategyOptions Validated()
    {
        Require(Lambda >= 0 && double.IsFinite(Lambda), nameof(Lambda), Lambda, "non-negative and finite");
        Require(PositiveFinite(StepSize), nameof(StepSize), StepSize, "positive and finite");
        Require(Adjacency != AdjacencyKind.TokenSimilarity || AdjacencyMatrix is null, nameof(AdjacencyMatrix), Adjacency,
            "left out with Adjacency TokenSimilarity (a matrix implies Adjacency Matrix)");
        return AdjacencyMatrix is null ? this : this with { Adjacency = AdjacencyKind.Matrix };
    }

    public AdjacencySpec Graph => new(Adjacency, AdjacencyMatrix);
}

/// <summary>
/// MIRA (Elbakary et al. 2024, "MIRA: A Method of Federated Multi-Task Learning for Large Language Models"):
/// every client k keeps its own adapter W_k and trains it on its own task; after the round's local steps the
/// server takes one Laplacian-regularization step over the task graph a,
/// <code>  W_k ← W_k − η·λ·Σ_ℓ a_kℓ (W_k − W_ℓ)  </code>
/// for all clients at once (from the pre-step values: W ← W − ηλ·L·W with L = D − A) and returns each client its own
/// W_k. λ = 0 is local-only training (registered as the strategy "LocalOnly": nothing crosses the network); on a
/// complete graph with η·λ = 1/K every client lands on the plain average, which is FedIT's aggregation.
/// <see cref="FederatedStrategy.Global"/> holds the sample-weighted average of the adapters, for reference only:
/// the global loss is the mean over the clients' own models.
/// <para>
/// Stability: the step multiplies the disagreement between clients by 1 − ηλμ for each eigenvalue μ of L (μ_max = K on
/// the complete graph). With ηλμ_max &gt; 1 the step overshoots the consensus (a warning); with ηλμ_max ≥ 2 it
/// diverges, and the strategy refuses to start.
/// </para>
/// </summary>
public sealed class Mira : FederatedStrategy
{
    private readonly PersonalModels adapters = new(nameof(Mira), "clients/");
    private IReadOnlyList<FedClient> clients = [];
    private Tensor? laplacian;

    public Mira(MiraOptions options)
        : this((MiraOptions)options.Validated(), nameof(Mira))
    {
    }

    private Mira(MiraOptions options, string name)
        : base(name)
    {
        Options = options;
    }

    /// <summary>Local-only training: Mira's mechanism with λ = 0, so adapters never mix and nothing is sent.</summary>
    public static Mira LocalOnly() => new(new MiraOptions { Lambda = 0 }, "LocalOnly");

    public MiraOptions Options { get; }

    public double Lambda => Options.Lambda;

    public double StepSize => Options.StepSize;

    public AdjacencySpec Adjacency => Options.Graph;

    /// <summary>ηλ·μ_max(L): above 1 the graph step overshoots, at 2 it diverges.</summary>
    public double StepGain { get; private set; }

    /// <summary>On the complete graph (Uniform, weights 1) μ_max = K, so the plan can refuse a diverging step before any data is read.</summary>
    public override void Check(FederationShape federation)
    {
        if (Adjacency.Kind == AdjacencyKind.Uniform && federation.Clients > 1)
        {
            CheckGain(federation.Clients, federation.Clients);
        }
    }

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients, int clientsPerRound)
    {
        this.clients = clients.OrderBy(c => c.Id).ToArray();
        var a = Adjacency.For(this.clients);
        using var weights = tensor(a, dtype: ScalarType.Float64);
        using var l = diag(weights.sum(1)) - weights;
        using var eigenvalues = this.clients.Count == 0 ? zeros(1, dtype: ScalarType.Float64) : linalg.eigvalsh(l);
        CheckGain(eigenvalues.max().item<double>(), this.clients.Count);
        base.Initialize(initial, clients, clientsPerRound);
        adapters.Reset(this.clients, initial);

        laplacian?.Dispose();
        laplacian = l.to_type(ScalarType.Float32).DetachFromDisposeScope();
    }

    // ηλ·μ_max ≥ 2 diverges (refused); above 1 the step overshoots the consensus (a warning).
    private void CheckGain(double largest, int clientCount)
    {
        StepGain = StepSize * Lambda * largest;
        var bounds = string.Create(CultureInfo.InvariantCulture,
            $"η·λ·μ_max = {StepSize:G4}·{Lambda:G4}·{largest:G4} = {StepGain:G4}, where μ_max is the largest eigenvalue of the task graph's " +
            $"Laplacian ({clientCount} clients). Keep η·λ below {1 / largest:G4} (below {2 / largest:G4} at the very most).");
        if (StepGain >= 2)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"{Name}'s graph step diverges: {bounds}", Lambda);
        }

        if (StepGain > 1 && !Warnings.Any(w => w.Contains("overshoots", StringComparison.Ordinal)))
        {
            Warn($"{Name}'s graph step overshoots the consensus each round (it oscillates): {bounds}");
        }
    }

    public override ParameterSet ParametersFor(int clientId) => adapters[clientId];

    /// <summary>Local-only clients (λ = 0) keep their adapters on the device: nothing crosses the network.</summary>
    public override IReadOnlyList<ClientAssignment> Configure(RoundContext round) =>
        Lambda > 0 ? base.Configure(round) : base.Configure(round).Select(a => new ClientAssignment(round, a.Client, a.Start) { Transmits = false }).ToArray();

    /// <summary>The trained adapters replace their clients' ones, then the graph step runs on all clients; all of it is committed at once.</summary>
    public override ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures)
    {
        var trained = results.ToDictionary(u => u.ClientId, u => u.Parameters);
        foreach (var id in trained.Keys.Where(id => !adapters.Contains(id)))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"{Name} has no client {id}.", id);
        }

        var next = clients.ToDictionary(c => c.Id, c => (trained.GetValueOrDefault(c.Id) ?? adapters[c.Id]).Clone());
        if (Lambda > 0)
        {
            GraphStep(next);
        }

        if (!ParameterSet.AreFinite(next.Values.SelectMany(s => s.Values)))
        {
            foreach (var set in next.Values)
            {
                set.Dispose();
            }

            throw new FedPSException(FedErrorKind.Diverged,
                $"{Name}'s graph step in round {round.Number} produced NaN or infinite adapters; the server keeps round {round.Number - 1}'s.", Name);
        }

        foreach (var (id, set) in next)
        {
            adapters.Replace(id, set);
        }

        return RunningAverage.Of(clients.Select(c => adapters[c.Id]).ToArray(), clients.Select(c => (double)c.SampleCount).ToArray());
    }

    /// <summary>The mean loss and accuracy over the clients' own models.</summary>
    public override Evaluation Evaluate(ModelEvaluator evaluator, FedDataset data) => adapters.Evaluate(evaluator, data);

    public override void SaveState(StrategyState state)
    {
        base.SaveState(state);
        adapters.Save(state);
    }

    public override void LoadState(StrategyState state)
    {
        base.LoadState(state);
        adapters.Load(state);
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Name}(λ={Lambda}, η={StepSize}, adjacency={Adjacency})");

    public override void Dispose()
    {
        adapters.Dispose();
        laplacian?.Dispose();
        base.Dispose();
    }

    // All clients at once: stack tensor t of every client as rows of W [K, n]; W ← W − η·λ·L·W with L = D − A.
    private void GraphStep(Dictionary<int, ParameterSet> next)
    {
        using var _ = no_grad();
        var coefficient = StepSize * Lambda;
        var tensorCount = next[clients[0].Id].Tensors.Count;
        for (var t = 0; t < tensorCount; t++)
        {
            using var scope = NewDisposeScope();
            var values = clients.Select(c => next[c.Id].Tensors[t].Value).ToArray();
            var stacked = stack(values.Select(v => v.flatten()).ToArray());
            var pulled = stacked - (coefficient * laplacian!.to(stacked.device).matmul(stacked));
            for (var k = 0; k < values.Length; k++)
            {
                values[k].copy_(pulled[k].view_as(values[k]));
            }
        }
    }
}
