using FedPS.Core.Models;

namespace FedPS.Core.Federation;

/// <summary>What one client returns after its local work in a round, with the bytes it cost.</summary>
public sealed class ClientUpdate : IDisposable
{
    public required int ClientId { get; init; }

    public required int SampleCount { get; init; }

    public required ParameterSet Parameters { get; init; }

    /// <summary>Mean training loss over the client's local steps this round.</summary>
    public required double TrainLoss { get; init; }

    public required int Steps { get; init; }

    public long BytesUp { get; set; }

    public long BytesDown { get; set; }

    /// <summary>Strategy- or optimizer-specific numbers (e.g. Sophia's win rate).</summary>
    public Dictionary<string, double> Metrics { get; } = [];

    public void Dispose() => Parameters.Dispose();
}
