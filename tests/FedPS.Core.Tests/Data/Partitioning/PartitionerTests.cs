using FedPS.Core;
using FedPS.Core.Data.Partitioning;

namespace FedPS.Core.Tests.Data.Partitioning;

public sealed class PartitionerTests
{
    // 10 classes with unequal sizes, as in real data.
    private static readonly int[] Labels = Enumerable.Range(0, 2000).Select(i => (i * 7 + (i % 13)) % 10).ToArray();

    public static TheoryData<string> Partitioners => ["iid", "dirichlet", "shards"];

    private static IPartitioner Create(string name) => name switch
    {
        "iid" => new IidPartitioner(),
        "dirichlet" => new DirichletPartitioner(0.5),
        _ => new ShardPartitioner(2),
    };

    [Theory]
    [MemberData(nameof(Partitioners))]
    public void Every_sample_is_assigned_to_exactly_one_client(string name)
    {
        var parts = Create(name).Partition(Labels, 10, 20, seed: 3);

        Assert.Equal(20, parts.Length);
        Assert.All(parts, p => Assert.NotEmpty(p));
        Assert.Equal(Enumerable.Range(0, Labels.Length), parts.SelectMany(p => p).Order());
    }

    [Theory]
    [MemberData(nameof(Partitioners))]
    public void The_same_seed_gives_the_same_split_and_another_seed_a_different_one(string name)
    {
        var first = Create(name).Partition(Labels, 10, 8, seed: 42);
        var again = Create(name).Partition(Labels, 10, 8, seed: 42);
        var other = Create(name).Partition(Labels, 10, 8, seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Dirichlet_skew_grows_as_alpha_shrinks()
    {
        var skews = new[] { 100.0, 1.0, 0.1 }
            .Select(alpha => MeanLabelDistance(new DirichletPartitioner(alpha).Partition(Labels, 10, 10, seed: 1)))
            .ToArray();

        Assert.True(skews[0] < skews[1] && skews[1] < skews[2], $"skews (α = 100, 1, 0.1): {string.Join(", ", skews)}");
        Assert.True(skews[0] < 0.1, $"α = 100 should be close to IID, skew {skews[0]}");
    }

    [Fact]
    public void Shards_give_each_client_at_most_k_classes_when_shards_do_not_straddle_classes()
    {
        // 10 classes × 100 samples, 10 clients × 2 shards of 50: every shard holds one class.
        var labels = Enumerable.Range(0, 1000).Select(i => i % 10).ToArray();
        var parts = new ShardPartitioner(2).Partition(labels, 10, 10, seed: 5);

        Assert.All(parts, p => Assert.InRange(p.Select(i => labels[i]).Distinct().Count(), 1, 2));
    }

    [Fact]
    public void More_clients_than_samples_is_rejected()
    {
        var error = Assert.Throws<FedPSException>(() => new IidPartitioner().Partition([0, 1, 2], 3, 4, 0));
        Assert.Equal(FedErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("4 clients", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void A_non_positive_alpha_is_rejected(double alpha)
    {
        var error = Assert.Throws<FedPSException>(() => new DirichletPartitioner(alpha));
        Assert.Contains("α", error.Message);
    }

    [Fact]
    public void Dirichlet_draws_sum_to_one_and_have_the_right_mean()
    {
        var random = new Random(9);
        var sums = new double[4];
        const int draws = 4000;
        for (var i = 0; i < draws; i++)
        {
            var sample = Dirichlet.Sample(random, 0.7, 4);
            Assert.Equal(1.0, sample.Sum(), 9);
            for (var j = 0; j < 4; j++)
            {
                sums[j] += sample[j];
            }
        }

        Assert.All(sums, s => Assert.InRange(s / draws, 0.23, 0.27));
    }

    /// <summary>Mean total-variation distance between each client's label distribution and the global one.</summary>
    private static double MeanLabelDistance(int[][] parts)
    {
        var global = Histogram(Enumerable.Range(0, Labels.Length));
        return parts.Average(p =>
        {
            var local = Histogram(p);
            return 0.5 * global.Zip(local, (g, l) => Math.Abs(g - l)).Sum();
        });
    }

    private static double[] Histogram(IEnumerable<int> indices)
    {
        var counts = new double[10];
        var n = 0;
        foreach (var i in indices)
        {
            counts[Labels[i]]++;
            n++;
        }

        return counts.Select(c => c / n).ToArray();
    }
}
