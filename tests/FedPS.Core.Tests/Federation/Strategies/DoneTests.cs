using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Primitives;
using FedPS.Core.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class DoneTests
{
    /// <summary>Labels drawn from a true softmax model on Gaussian inputs: not separable, so the optimum is finite.</summary>
    private static FedDataset SoftmaxData()
    {
        var generator = new Generator(21);
        var features = randn(400, 5, generator: generator);
        var weights = randn(3, 5, generator: generator);
        var labels = features.matmul(weights.t()).softmax(-1).multinomial(1, generator: generator).squeeze(-1);
        return new FedDataset("softmax-regression", "train", features, labels, ["a", "b", "c"]);
    }

    private static ModelSpec SoftmaxRegression => new("Mlp", [5], 3, []);

    /// <summary>The centralized optimum's loss, by full-batch gradient descent on all the data.</summary>
    private static double CentralizedOptimum(FedDataset data)
    {
        var module = SoftmaxRegression.Build(0);
        using var sgd = optim.SGD(module.parameters(), 1.0);
        for (var step = 0; step < 3000; step++)
        {
            using var scope = NewDisposeScope();
            sgd.zero_grad();
            Losses.CrossEntropy(module.forward(data.Features), data.Labels).backward();
            sgd.step();
        }

        return Evaluator.Evaluate(module, data).Loss;
    }

    [Fact]
    public void DONE_on_softmax_regression_converges_towards_the_centralized_optimum()
    {
        var data = SoftmaxData();
        var optimum = CentralizedOptimum(data);
        var clients = FedClientData.Split(data, new IidPartitioner(), 4, 0)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 100, Steps = 30 })).ToArray();
        using var server = new FedServer(new FedModel(SoftmaxRegression, 0), clients,
            new Done(new DoneOptions { ServerLearningRate = 1.0, RichardsonStep = 1.0 }), data);
        var start = server.MeasureGlobal(data).Loss - optimum;

        var gaps = Enumerable.Range(0, 6).Select(_ => server.RunRound().TestLoss - optimum).ToArray();

        Assert.True(gaps[^1] < 0.01 * start, $"gap to the optimum {start:F5} -> [{string.Join(", ", gaps.Select(g => g.ToString("F6")))}]");
        Assert.True(gaps[^1] > -1e-4, $"below the optimum by {gaps[^1]}: the reference is not the optimum");
    }

    [Fact]
    public void DONE_counts_the_gradient_exchange_in_both_directions()
    {
        var data = SoftmaxData();
        var clients = FedClientData.Split(data, new IidPartitioner(), 4, 0)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 100, Steps = 3 })).ToArray();
        using var server = new FedServer(new FedModel(SoftmaxRegression, 0), clients, new Done(new DoneOptions()));

        var result = server.RunRound();

        var modelBytes = server.Model.ParameterCount * sizeof(float);
        Assert.Equal(4 * 2 * modelBytes, result.BytesUp); // local gradient + direction
        Assert.Equal(4 * 2 * modelBytes, result.BytesDown); // model + global gradient
    }
}
