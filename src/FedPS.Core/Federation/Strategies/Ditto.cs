using System.Globalization;
using FedPS.Core.Data;
using FedPS.Core.Models;

namespace FedPS.Core.Federation.Strategies;

/// <summary>Ditto's knobs.</summary>
public sealed record DittoOptions : StrategyOptions
{
    /// <summary>λ ≥ 0: how strongly each personal model is pulled towards the global one (0 = local training; large → the global model).</summary>
    public double Lambda { get; init; } = 0.1;

    /// <summary>Steps of the personal pass per round; null takes the client's own budget (its local steps or epochs).</summary>
    public int? PersonalSteps { get; init; }

    public override StrategyOptions Validated()
    {
        Require(Lambda >= 0 && double.IsFinite(Lambda), nameof(Lambda), Lambda, "non-negative and finite");
        Require(PersonalSteps is null or >= 1, nameof(PersonalSteps), PersonalSteps, "at least 1 (or left out for the client's budget)");
        return this;
    }
}

/// <summary>
/// Ditto (Li, Hu, Beirami, Smith 2021, "Ditto: Fair and Robust Federated Learning Through Personalization"): a global
/// model w trained as FedAvg, and for every client k a personal model v_k that solves
/// <code>  min_{v_k} h_k(v_k; w*) = F_k(v_k) + λ/2·‖v_k − w*‖²   with w* the global (FedAvg) solution  </code>
/// (their Algorithm 1): in each round a sampled client receives w^t, runs its local steps from w^t and sends the result
/// back (averaged by sample count, as <see cref="FedAvg"/>), and also takes its personal steps
/// <code>  v_k ← v_k − η·(∇F_k(v_k) + λ·(v_k − w^t))  </code>
/// with its own optimizer — a second local pass (<see cref="RoundContext.TrainLocally"/>) that never leaves the client.
/// Personal models start as the initial global model. Each client is evaluated with its own v_k, so the global loss is
/// the mean over the clients' personal models. A personal pass happens when the round is configured, but its result
/// becomes the client's model only when the round completes with that client trained; an abandoned round leaves every
/// client as it was. λ = 0 is local training of v_k alongside FedAvg; as λ → ∞, v_k → w^t.
/// </summary>
public sealed class Ditto(DittoOptions options) : FedAvg(nameof(Ditto))
{
    private readonly PersonalModels personal = new(nameof(Ditto), "personal/");
    private readonly Dictionary<int, ParameterSet> pending = [];

    public DittoOptions Options { get; } = (DittoOptions)options.Validated();

    public double Lambda => Options.Lambda;

    public override void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients, int clientsPerRound)
    {
        base.Initialize(initial, clients, clientsPerRound);
        ClearPending();
        personal.Reset(clients, initial);
    }

    /// <summary>Client <paramref name="clientId"/>'s personal model (what it is evaluated and generates with).</summary>
    public override ParameterSet ParametersFor(int clientId) => personal[clientId];

    /// <summary>Every sampled client trains the global model from w^t; its personal pass from v_k, pulled towards w^t, runs now.</summary>
    public override IReadOnlyList<ClientAssignment> Configure(RoundContext round)
    {
        pending.Clear(); // an abandoned round disposed its clients' pending models with their assignments
        return round.Sampled.Select(client =>
        {
            var steps = Options.PersonalSteps ?? client.Training.StepsFor(client.SampleCount);
            var pass = round.TrainLocally(client, personal[client.Id], steps, Lambda == 0 ? null : module => FedProx.ProximalTerm(module, Global, Lambda));
            pending[client.Id] = pass.Parameters;
            return new ClientAssignment(round, client, Global)
            {
                ClientState = pass.Parameters,
                Detail = string.Create(CultureInfo.InvariantCulture, $"personal pass: {pass.Steps} steps, λ={Lambda}, loss {pass.TrainLoss:G4}"),
            };
        }).ToArray();
    }

    /// <summary>The trained clients' personal models become theirs; those of clients that did not finish are dropped.</summary>
    public override void CompleteRound(RoundContext round, IReadOnlyList<ClientAssignment> trained)
    {
        var finished = trained.Select(a => a.ClientId).ToHashSet();
        foreach (var (id, next) in pending)
        {
            if (finished.Contains(id))
            {
                personal.Replace(id, next);
            }
            else
            {
                next.Dispose();
            }
        }

        pending.Clear();
    }

    /// <summary>The mean loss and accuracy over the clients' personal models.</summary>
    public override Evaluation Evaluate(ModelEvaluator evaluator, FedDataset data) => personal.Evaluate(evaluator, data);

    /// <summary>The global model plus every client's personal model as personal/{id}/{name}.</summary>
    public override void SaveState(StrategyState state)
    {
        base.SaveState(state);
        personal.Save(state);
    }

    public override void LoadState(StrategyState state)
    {
        base.LoadState(state);
        personal.Load(state);
    }

    public override string ToString() =>
        FormattableString.Invariant($"Ditto(λ={Lambda}, personal steps={(Options.PersonalSteps is { } s ? s.ToString(CultureInfo.InvariantCulture) : "client budget")})");

    public override void Dispose()
    {
        personal.Dispose();
        ClearPending();
        base.Dispose();
    }

    private void ClearPending()
    {
        foreach (var set in pending.Values)
        {
            set.Dispose();
        }

        pending.Clear();
    }
}
