using FedPS.Core.Federation;

namespace FedPS.Core.Simulation;

/// <summary>One completed federated round.</summary>
public sealed record RoundResult
{
    public required int Round { get; init; }

    /// <summary>The server (or experiment run) the round belongs to.</summary>
    public string Server { get; init; } = string.Empty;

    public required string Strategy { get; init; }

    public required int[] SampledClients { get; init; }

    /// <summary>Sampled clients whose update the strategy did not get, and why (diverged, excluded, refused, ...).</summary>
    public IReadOnlyList<ClientFailure> Failures { get; init; } = [];

    /// <summary>The clients of <see cref="Failures"/>.</summary>
    public int[] DroppedClients => Failures.Select(f => f.ClientId).ToArray();

    /// <summary>Mean local training loss of the aggregated clients, weighted by sample count (NaN when none was aggregated).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>The global model's loss on the server's test data, or NaN without test data or evaluation.</summary>
    public required double TestLoss { get; init; }

    public required double TestAccuracy { get; init; }

    /// <summary>True for a language model (a Gpt): its losses are per token, and its perplexity means something.</summary>
    public bool IsLanguageModel { get; init; }

    /// <summary>exp(TestLoss), a language model's per-token perplexity; NaN for a classifier.</summary>
    public double TestPerplexity => IsLanguageModel ? Math.Exp(TestLoss) : double.NaN;

    public required long BytesUp { get; init; }

    public required long BytesDown { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>
    /// Strategy- or optimizer-specific numbers averaged over clients (e.g. Sophia's win rate), and the round stages'
    /// numbers: epsilon, delta, clipNorm and unclippedFraction (central DP), localEpsilon (local DP),
    /// uplinkCompression (raw over encoded uplink bytes), roundSeconds, unavailableClients and lateClients (availability).
    /// </summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>ε of the (ε, δ) client-level DP guarantee after this round (central DP); NaN without it.</summary>
    public double Epsilon => Metrics.TryGetValue("epsilon", out var epsilon) ? epsilon : double.NaN;

    /// <summary>What each aggregated client did this round.</summary>
    public IReadOnlyList<ClientRoundResult> ClientResults { get; init; } = [];

    public override string ToString() => FormattableString.Invariant(
        $"{(Server.Length == 0 ? string.Empty : Server + " ")}round {Round} ({Strategy}): train loss {TrainLoss:F4}, test accuracy {TestAccuracy:P2}");
}

/// <summary>One client's part of a round: its local training loss, steps and traffic.</summary>
public sealed record ClientRoundResult
{
    public required int ClientId { get; init; }

    public required int Samples { get; init; }

    public required double TrainLoss { get; init; }

    public required int Steps { get; init; }

    public required long BytesUp { get; init; }

    public required long BytesDown { get; init; }

    /// <summary>‖update‖: how far the client moved from where it started (NaN when not known).</summary>
    public double UpdateNorm { get; init; } = double.NaN;

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public override string ToString() => FormattableString.Invariant($"client {ClientId}: {Samples} samples, {Steps} steps, loss {TrainLoss:F4}");

    public static ClientRoundResult From(ClientUpdate update) => new()
    {
        ClientId = update.ClientId,
        Samples = update.SampleCount,
        TrainLoss = update.TrainLoss,
        Steps = update.Steps,
        BytesUp = update.BytesUp,
        BytesDown = update.BytesDown,
        UpdateNorm = update.UpdateNorm,
        Metrics = new Dictionary<string, double>(update.Metrics),
    };
}

/// <summary>A loss measured on some data: of the global model, or of one client's data.</summary>
public sealed record LossMeasurement(string Scope, int? ClientId, string Data, int Samples, double Loss, double Accuracy, int Round)
{
    /// <summary>True for a language model (a Gpt): its loss is per token, and its perplexity means something.</summary>
    public bool IsLanguageModel { get; init; }

    /// <summary>exp(Loss), a language model's per-token perplexity; NaN for a classifier.</summary>
    public double Perplexity => IsLanguageModel ? Math.Exp(Loss) : double.NaN;
}

/// <summary>Progress inside a round: which client is training and how far it is.</summary>
public readonly record struct RoundProgress(int Round, int ClientIndex, int ClientCount, int ClientId, int Step, int Steps);

/// <summary>What a round does when a client's training diverges (NaN/Inf loss or parameters).</summary>
public enum DivergencePolicy
{
    /// <summary>Stop the run with a <see cref="FedDivergenceException"/> naming client, round and step.</summary>
    Stop,

    /// <summary>Drop that client's update, record it in <see cref="RoundResult.Failures"/>, and go on.</summary>
    Continue,
}
