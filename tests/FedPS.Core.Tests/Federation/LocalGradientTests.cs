using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Models;
using FedPS.Core.Primitives;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation;

/// <summary>The extra gradient pass DONE asks clients for (<see cref="LocalTrainer.Gradient"/>).</summary>
public sealed class LocalGradientTests
{
    private static readonly ModelSpec Spec = new("Mlp", [1, 4, 4], 3, [8]);

    private static FedClient Client(FedDataset data, int batchSize) =>
        new(new FedClientData(0, data, "all"), new LocalTrainingSpec { BatchSize = batchSize });

    private static ParameterSet Gradient(FedClient client, int samples)
    {
        using var trainer = new LocalTrainer(Spec.Build(0));
        using var at = ParameterSet.From(Spec.Build(3), trainableOnly: true);
        return trainer.Gradient(client, at, samples, seed: 5, round: 1);
    }

    private static double MaxDifference(ParameterSet a, ParameterSet b) =>
        a.Names.Max(n => a[n].sub(b[n]).abs().max().item<float>());

    [Fact]
    public void Over_the_whole_shard_it_is_the_gradient_of_the_mean_loss_on_all_samples()
    {
        var data = TestData.Blobs(2500, seed: 1); // more than one chunk
        using var gradient = Gradient(Client(data, batchSize: 32), data.Count);

        var module = Spec.Build(0);
        ParameterSet.From(Spec.Build(3), trainableOnly: true).CopyTo(module);
        Losses.CrossEntropy(module.forward(data.Features), data.Labels).backward();
        using var expected = new ParameterSet(module.named_parameters().Select(p => (p.name, p.parameter.grad!.detach().clone())).ToArray());

        Assert.True(MaxDifference(expected, gradient) < 1e-5, $"max difference {MaxDifference(expected, gradient)}");
    }

    [Fact]
    public void Over_part_of_the_shard_it_takes_the_same_samples_whatever_the_client_s_batch_size()
    {
        var data = TestData.Blobs(600, seed: 2);
        using var small = Gradient(Client(data, batchSize: 8), 200);
        using var large = Gradient(Client(data, batchSize: 100), 200);
        using var all = Gradient(Client(data, batchSize: 8), 600);

        Assert.True(MaxDifference(small, large) < 1e-6, $"max difference {MaxDifference(small, large)}");
        Assert.True(MaxDifference(small, all) > 1e-4, "200 of 600 samples gave the gradient of all 600");
    }
}
