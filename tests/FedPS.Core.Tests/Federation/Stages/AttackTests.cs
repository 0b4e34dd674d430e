using FedPS.Core.Federation.Stages;
using static FedPS.Core.Tests.Federation.Stages.StageKit;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation.Stages;

public sealed class AttackTests
{
    [Fact]
    public void Sign_flipping_and_scaling_forge_the_delta()
    {
        using var flip = new ByzantineAttack(new AttackOptions { Kind = AttackKind.SignFlip }, [0]);
        using var boost = new ByzantineAttack(new AttackOptions { Kind = AttackKind.Scale, Scale = 3 }, [0]);
        using var honest = Update(0, [10, 10], [11, 12]);

        using var flipped = flip.Transform(honest, seed: 1, round: 1);
        using var boosted = boost.Transform(honest, seed: 1, round: 1);

        Assert.Equal([9, 8], Values(flipped.Parameters));
        Assert.Equal([13, 16], Values(boosted.Parameters));
    }

    [Fact]
    public void A_Gaussian_attacker_sends_noise_of_the_given_scale()
    {
        using var attack = new ByzantineAttack(new AttackOptions { Kind = AttackKind.GaussianNoise, NoiseStd = 3 }, [0]);
        var zeros = new double[40_000];
        using var honest = Update(0, zeros, zeros);

        using var forged = attack.Transform(honest, seed: 2, round: 4);
        var (_, std) = Moments(Values(forged.Parameters));

        Assert.InRange(std, 3 - (5 * 3 / Math.Sqrt(80_000)), 3 + (5 * 3 / Math.Sqrt(80_000)));
    }

    [Fact]
    public void A_label_flipping_attacker_trains_on_C_minus_1_minus_y()
    {
        var clients = Clients(1); // the blobs have 3 classes
        using var attack = new ByzantineAttack(new AttackOptions { Kind = AttackKind.LabelFlip }, [0]);
        using var round = Round(1, clients);
        using var start = Set(0);
        var assignment = attack.Prepare(new FedPS.Core.Federation.ClientAssignment(round, clients[0], start));

        using var labels = tensor(new long[] { 0, 1, 2, 2 });
        using var flipped = assignment.LabelMap!(labels);

        Assert.Equal([2, 1, 0, 0], flipped.data<long>().ToArray());
        Assert.Contains("label-flipping attacker", assignment.Detail);
    }

    [Fact]
    public void A_server_picks_a_seeded_share_of_its_clients_once()
    {
        var clients = Clients(10);
        int[] Pick(int seed, AttackOptions options)
        {
            using var attack = (ByzantineAttack)options.CreateStage();
            attack.Initialize(Setup(clients, 10, seed: seed));
            return attack.ClientIds!.ToArray();
        }

        var twenty = Pick(1, new AttackOptions { Fraction = 0.2 });
        Assert.Equal(2, twenty.Length);
        Assert.Equal(twenty, Pick(1, new AttackOptions { Fraction = 0.2 }));
        Assert.Equal(3, Pick(1, new AttackOptions { Count = 3 }).Length);
        Assert.Equal([4, 7], Pick(1, new AttackOptions { Clients = [7, 4] }));
        Assert.Empty(Pick(1, new AttackOptions()));
        Assert.Contains(Enumerable.Range(2, 20), seed => !Pick(seed, new AttackOptions { Fraction = 0.2 }).SequenceEqual(twenty));
    }

    [Fact]
    public void Refuses_more_attackers_than_clients_and_unknown_clients()
    {
        var clients = Clients(4);
        var tooMany = Assert.Throws<FedPSException>(() => new AttackOptions { Count = 5 }.CreateStage().Initialize(Setup(clients, 4)));
        Assert.Contains("5 attackers, more than the server's 4 clients", tooMany.Message);
        var unknown = Assert.Throws<FedPSException>(() => new AttackOptions { Clients = [2, 9] }.CreateStage().Initialize(Setup(clients, 4)));
        Assert.Contains("client 9, which the server does not have", unknown.Message);
        var twoWays = Assert.Throws<FedPSException>(() => new AttackOptions { Count = 1, Fraction = 0.5 }.Validated());
        Assert.Contains("Count must be left out when Fraction or Clients is given", twoWays.Message);
        Assert.Throws<FedPSException>(() => new AttackOptions { Fraction = 0.5 }.CreateStage([1]));
    }
}
