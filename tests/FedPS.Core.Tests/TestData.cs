using FedPS.Core.Data;
using static TorchSharp.torch;

namespace FedPS.Core.Tests;

/// <summary>Small, clearly labelled tensors for testing engine mechanics (not a stand-in for a real dataset).</summary>
internal static class TestData
{
    /// <summary>Three Gaussian blobs in 1×4×4 "images", one per class, separable but not trivially.</summary>
    public static FedDataset Blobs(int count, int seed, string split = "train")
    {
        // The centers come from the seed alone, so a train and a test set drawn with one seed share them.
        var centers = randn([3, 1, 4, 4], generator: new Generator((ulong)seed));
        var generator = new Generator((ulong)seed + (ulong)count + (split == "test" ? 1UL : 0UL));
        var labels = randint(0, 3, [count], generator: generator);
        var features = centers.index_select(0, labels) + (0.8 * randn([count, 1, 4, 4], generator: generator));
        return new FedDataset("blobs", split, features, labels, ["a", "b", "c"]);
    }
}
