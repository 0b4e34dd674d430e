using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Stages;

/// <summary>Clients, rounds and updates for testing a stage by hand, without training.</summary>
internal static class StageKit
{
    /// <summary><paramref name="count"/> clients with ids 0, 1, … (a few blob samples each; their data is not used).</summary>
    public static FedClient[] Clients(int count)
    {
        var data = TestData.Blobs(4 * count, seed: 3);
        return Enumerable.Range(0, count)
            .Select(i => new FedClient(new FedClientData(i, data.Subset(Enumerable.Range(4 * i, 4).ToArray(), $"blobs[{i}]"), "test"), new LocalTrainingSpec()))
            .ToArray();
    }

    public static StageSetup Setup(FedClient[] clients, int perRound, FederatedStrategy? strategy = null, int seed = 1) =>
        new(clients, perRound, seed, strategy ?? new FedAvg());

    /// <summary>Round <paramref name="number"/> in which <paramref name="arriving"/> take part and <paramref name="absent"/> more were sampled but unavailable.</summary>
    public static RoundContext Round(int number, IReadOnlyList<FedClient> arriving, int absent = 0, long seed = 1) =>
        new(number, seed, arriving)
        {
            Unavailable = Enumerable.Range(1000, absent).Select(id => new ClientFailure(id, FailureReason.Unavailable, "absent")).ToArray(),
        };

    public static ParameterSet Set(params double[] w) => new([("w", tensor(w, dtype: ScalarType.Float64))]);

    /// <summary>Client <paramref name="client"/>'s update from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static ClientUpdate Update(int client, double[] start, double[] end, int samples = 1) =>
        new(client, samples, Set(end), Set(start)) { BytesUp = end.Length * 8, Steps = 1, TrainLoss = 0 };

    public static double[] Values(ParameterSet set) => set.ToArray("w");

    public static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    /// <summary>Every value within <paramref name="tolerance"/> of the expected one.</summary>
    public static void Close(double[] expected, double[] actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: {actual[i]}, expected {expected[i]}");
        }
    }

    /// <summary>Sample mean and standard deviation.</summary>
    public static (double Mean, double Std) Moments(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)));
    }
}
