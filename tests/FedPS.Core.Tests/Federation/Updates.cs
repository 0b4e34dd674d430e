using FedPS.Core.Federation;
using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation;

/// <summary>Hand-made updates and parameter sets for aggregation tests.</summary>
internal static class Updates
{
    public static ParameterSet Set(params double[] w) => new([("w", tensor(w, dtype: ScalarType.Float64))]);

    public static ParameterSet Set32(params float[] w) => new([("w", tensor(w))]);

    public static ClientUpdate Of(int client, int samples, params double[] w) => new(client, samples, Set(w)) { Steps = 1, TrainLoss = 0 };

    public static ClientUpdate Of32(int client, int samples, params float[] w) => new(client, samples, Set32(w)) { Steps = 1, TrainLoss = 0 };

    public static double[] Values(ParameterSet set, string name = "w") => set.ToArray(name);

    /// <summary>One aggregation of <paramref name="strategy"/> in round <paramref name="round"/>, committed as a server would.</summary>
    public static void Aggregate(FederatedStrategy strategy, int round, params ClientUpdate[] updates)
    {
        using var merged = StandaloneAggregation.Merge(strategy, updates, round: round);
        foreach (var update in updates)
        {
            update.Dispose();
        }
    }
}
