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

        Data = data;
        Training = training.Validated();
        Stages = OwnStages(stages ?? []);
    }

    /// <summary>
    /// <paramref name="stages"/> validated as a client's own options: each must be one a client may carry (an attack
    /// without a choice of attackers, local DP), else the error says where it belongs.
    /// </summary>
    public static IReadOnlyList<StageOptions> OwnStages(IEnumerable<StageOptions> stages) =>
        stages.Select(s =>
        {
            if (!s.IsClientOption)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"{s.GetType().Name} ({s}) is a server option, not a client's: give it to New-FedServer.", s);
            }

            s.CreateStage([0]).Dispose(); // what it refuses for a single client, it refuses now
            return s.Validated();
        }).ToArray();

    public int Id => Data.Id;

    public int SampleCount => Data.Count;

    public FedClientData Data { get; }

    public LocalTrainingSpec Training { get; }

    /// <summary>The client's own stage options (an attack, local DP).</summary>
    public IReadOnlyList<StageOptions> Stages { get; }

    public override string ToString() => $"client {Id} ({SampleCount} samples, {Training})";
}
