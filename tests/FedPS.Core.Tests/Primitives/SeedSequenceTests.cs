using FedPS.Core.Federation;
using FedPS.Core.Primitives;

namespace FedPS.Core.Tests.Primitives;

public sealed class SeedSequenceTests
{
    [Fact]
    public void Derived_seeds_are_stable_and_differ_by_key()
    {
        Assert.Equal(SeedSequence.Derive(7, 1, 2), SeedSequence.Derive(7, 1, 2));
        Assert.NotEqual(SeedSequence.Derive(7, 1, 2), SeedSequence.Derive(7, 2, 1));
        Assert.NotEqual(SeedSequence.Derive(7, 1, 2), SeedSequence.Derive(8, 1, 2));
    }

    [Fact]
    public void Every_seed_purpose_has_a_number_of_its_own()
    {
        var numbers = Enum.GetValues<SeedPurpose>().Select(p => (long)p).ToArray();

        Assert.Equal(Enum.GetNames<SeedPurpose>().Length, numbers.Distinct().Count());
    }

    [Fact]
    public void Client_sampling_takes_the_fraction_and_depends_only_on_seed_and_round()
    {
        var round3 = ClientSampler.Sample(20, 0.25, seed: 1, round: 3);

        Assert.Equal(5, round3.Length);
        Assert.Equal(round3, ClientSampler.Sample(20, 0.25, seed: 1, round: 3));
        Assert.NotEqual(round3, ClientSampler.Sample(20, 0.25, seed: 1, round: 4));
        Assert.Single(ClientSampler.Sample(20, 0.01, seed: 1, round: 1));
    }
}
