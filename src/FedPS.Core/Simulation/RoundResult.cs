namespace FedPS.Core.Simulation;

/// <summary>One completed federated round.</summary>
public sealed record RoundResult
{
    public required int Round { get; init; }

    public required string Strategy { get; init; }

    public required int[] SampledClients { get; init; }

    /// <summary>Sampled clients whose update was dropped because their training diverged (with -OnDivergence Continue).</summary>
    public int[] DroppedClients { get; init; } = [];

    /// <summary>Mean local training loss of the sampled clients, weighted by sample count.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>The global model's loss on the server's test data, or NaN without test data.</summary>
    public required double TestLoss { get; init; }

    public required double TestAccuracy { get; init; }

    /// <summary>exp(TestLoss): for a language model, the per-token perplexity.</summary>
    public double TestPerplexity => Math.Exp(TestLoss);

    public required long BytesUp { get; init; }

    public required long BytesDown { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>Strategy- or optimizer-specific numbers averaged over clients (e.g. Sophia's win rate).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>What each sampled client did this round.</summary>
    public IReadOnlyList<ClientRoundResult> ClientResults { get; init; } = [];
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

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public static ClientRoundResult From(Federation.ClientUpdate update) => new()
    {
        ClientId = update.ClientId,
        Samples = update.SampleCount,
        TrainLoss = update.TrainLoss,
        Steps = update.Steps,
        BytesUp = update.BytesUp,
        BytesDown = update.BytesDown,
        Metrics = new Dictionary<string, double>(update.Metrics),
    };
}

/// <summary>A loss measured on some data: of the global model, or of one client's data.</summary>
public sealed record LossMeasurement(string Scope, int? ClientId, string Data, int Samples, double Loss, double Accuracy, int Round)
{
    /// <summary>exp(Loss): for a language model, the per-token perplexity.</summary>
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>Progress inside a round: which client is training and how far it is.</summary>
public readonly record struct RoundProgress(int Round, int ClientIndex, int ClientCount, int ClientId, int Step, int Steps);

/// <summary>What a round does when a client's training diverges (NaN/Inf loss or parameters).</summary>
public enum DivergencePolicy
{
    /// <summary>Stop the run with a <see cref="FedDivergenceException"/> naming client, round and step.</summary>
    Stop,

    /// <summary>Drop that client's update, record it in <see cref="RoundResult.DroppedClients"/>, and go on.</summary>
    Continue,
}
