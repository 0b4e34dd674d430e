using FedPS.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>
/// What one sampled client gets for a round (Flower's FitIns): the parameters it starts from and how its local
/// training differs from plain steps of its own optimizer — a penalty added to each minibatch loss (FedProx), a
/// different per-step update rule (carried Sophia state, DONE's Richardson iterations), another step count, and
/// the bytes of any extra exchange. Built by <see cref="FederatedStrategy.Configure"/>.
/// </summary>
public sealed class ClientAssignment
{
    public ClientAssignment(RoundContext round, FedClient client, ParameterSet start)
    {
        Round = round;
        Client = client;
        Start = start;
    }

    [Newtonsoft.Json.JsonIgnore]
    public RoundContext Round { get; }

    public FedClient Client { get; }

    /// <summary>The number of the round it belongs to.</summary>
    public int RoundNumber => Round.Number;

    public int ClientId => Client.Id;

    public int Samples => Client.SampleCount;

    /// <summary>The trainable parameters the client starts from (held by the strategy; valid while the round is open).</summary>
    public ParameterSet Start { get; }

    /// <summary>A term added to each minibatch loss, from the network being trained (e.g. FedProx's μ/2·‖θ − θ₀‖²).</summary>
    [Newtonsoft.Json.JsonIgnore]
    public Func<nn.Module<Tensor, Tensor>, Tensor>? Penalty { get; init; }

    /// <summary>The per-step update rule; null uses a fresh optimizer from the client's own spec.</summary>
    [Newtonsoft.Json.JsonIgnore]
    public Func<LocalUpdateContext, ILocalUpdate>? UpdateRule { get; init; }

    /// <summary>Local steps this round; null uses the client's budget (its steps or epochs).</summary>
    public int? Steps { get; init; }

    public int PlannedSteps => Steps ?? Client.Training.StepsFor(Client.SampleCount);

    /// <summary>When set, every step reuses one minibatch of this many samples, drawn once (e.g. DONE's Hessian batch).</summary>
    public int? FixedBatchSize { get; init; }

    /// <summary>Bytes of an extra exchange (e.g. DONE's global gradient down, local gradient up).</summary>
    public long ExtraBytesDown { get; init; }

    public long ExtraBytesUp { get; init; }

    /// <summary>False when nothing crosses the network (local-only training): the round counts no bytes for this client.</summary>
    public bool Transmits { get; init; } = true;

    /// <summary>
    /// Client-side state the training advances (e.g. Sophia's m and h): the strategy takes over the state of the
    /// clients that finished training when the round completes (<see cref="FederatedStrategy.CompleteRound"/>); the
    /// round disposes the rest, and all of it when the round is abandoned.
    /// </summary>
    [Newtonsoft.Json.JsonIgnore]
    public IDisposable? ClientState { get; init; }

    /// <summary>What the strategy adds to plain local training, for display (e.g. "proximal μ=0.01").</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>
    /// How the client's labels are changed before each step (a label-flipping attacker's y → C − 1 − y), or null.
    /// Set by a round stage, never by a strategy.
    /// </summary>
    public Func<Tensor, Tensor>? LabelMap { get; init; }

    /// <summary>The same assignment whose client trains on labels mapped by <paramref name="labelMap"/> (and <paramref name="detail"/> added to its display).</summary>
    public ClientAssignment WithLabelMap(Func<Tensor, Tensor> labelMap, string detail) => new(Round, Client, Start)
    {
        Penalty = Penalty,
        UpdateRule = UpdateRule,
        Steps = Steps,
        FixedBatchSize = FixedBatchSize,
        ExtraBytesDown = ExtraBytesDown,
        ExtraBytesUp = ExtraBytesUp,
        Transmits = Transmits,
        ClientState = ClientState,
        Detail = Detail.Length == 0 ? detail : $"{Detail}; {detail}",
        LabelMap = labelMap,
    };

    public long BytesDown => Transmits ? Start.ByteCount + ExtraBytesDown : 0;

    public override string ToString() => $"client {ClientId} in round {Round.Number}";
}

/// <summary>What an update rule is built for: the client and the trainable parameters of the network it trains.</summary>
public sealed record LocalUpdateContext(FedClient Client, IReadOnlyList<TorchSharp.Modules.Parameter> Parameters, ParameterSet Start)
{
    /// <summary>Plain training with <paramref name="optimizer"/> (made for <see cref="Parameters"/>), under the client's gradient clipping.</summary>
    public OptimizerUpdate OptimizerUpdate(Optim.ILocalOptimizer optimizer) =>
        new(optimizer, Parameters, Client.Training.MaxGradientNorm);
}
