using FedPS.Core.Federation.Strategies;

namespace FedPS.Core.Tests.Federation.Strategies;

public sealed class KrumTests
{
    [Fact]
    public void Scores_sum_the_squared_distances_to_the_n_minus_f_minus_2_nearest_others()
    {
        // x = 0, 1, 2, 10, −20 with f = 1: each update's two nearest others.
        var updates = new[] { 0.0, 1, 2, 10, -20 }.Select((x, i) => Updates.Of(i, 1, x)).ToArray();

        var scores = Krum.Scores(updates, byzantine: 1);

        Assert.Equal([1 + 4, 1 + 1, 1 + 4, 64 + 81, 400 + 441], scores);
        Assert.Equal([1, 0, 2], Krum.Select(updates, byzantine: 1, keep: 3)); // ties go to the earlier update
        Array.ForEach(updates, u => u.Dispose());
    }

    [Fact]
    public void Krum_refuses_a_round_with_fewer_than_2f_plus_3_updates()
    {
        using var krum = new Krum(new KrumOptions { ByzantineClients = 1 });
        var updates = new[] { 0.0, 1, 2, 3 }.Select((x, i) => Updates.Of(i, 1, x)).ToArray();

        var error = Assert.Throws<FedPSException>(() => Updates.Aggregate(krum, 1, updates));

        Assert.Contains("at least 2f + 3 = 5 updates", error.Message);
    }
}
