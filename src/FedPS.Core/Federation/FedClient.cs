using FedPS.Core.Data;

namespace FedPS.Core.Federation;

/// <summary>
/// A simulated client: its data shard, how it trains locally, and its own round-stage options (a Byzantine attack,
/// local differential privacy), which every server it joins applies to it.
/// </summary>
public sealed class FedClient
{
    public FedClient(FedClientData data, LocalTrainingSpec training, IReadOnlyList<StageOptions>? stages = null)
    {
        if (data.Count == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Client {data.Id} has no samples.", data);
        }

        var notOwn = stages?.FirstOrDefault(s => !s.IsClientOption);
        if (notOwn is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{notOwn.GetType().Name} ({notOwn}) is a server option, not a client's: give it to New-FedServer.", notOwn);
        }

        Data = data;
        Training = training.Validated();
        Stages = stages?.Select(s => s.Validated()).ToArray() ?? [];
    }

    public int Id => Data.Id;

    public int SampleCount => Data.Count;

    public FedClientData Data { get; }

    public LocalTrainingSpec Training { get; }

    /// <summary>The client's own stage options (an attack, local DP).</summary>
    public IReadOnlyList<StageOptions> Stages { get; }

    public override string ToString() => $"client {Id} ({SampleCount} samples, {Training})";
}
