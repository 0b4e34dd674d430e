using FedPS.Core.Data;

namespace FedPS.Core.Federation;

/// <summary>A simulated client: its data shard and how it trains locally.</summary>
public sealed class FedClient
{
    public FedClient(FedClientData data, LocalTrainingSpec training)
    {
        if (data.Count == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Client {data.Id} has no samples.", data);
        }

        Data = data;
        Training = training.Validated();
    }

    public int Id => Data.Id;

    public int SampleCount => Data.Count;

    public FedClientData Data { get; }

    public LocalTrainingSpec Training { get; }

    public override string ToString() => $"client {Id} ({SampleCount} samples, {Training})";
}
