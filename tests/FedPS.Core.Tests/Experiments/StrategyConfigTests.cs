using FedPS.Core.Experiments;
using FedPS.Core.Federation.Strategies;

namespace FedPS.Core.Tests.Experiments;

/// <summary>A config's strategy section binds onto the named strategy's own options record.</summary>
public sealed class StrategyConfigTests
{
    private static PlannedRun[] Runs(string yaml) => ExperimentConfig.Parse(yaml, "c.yaml").Expand().Runs.ToArray();

    [Fact]
    public void A_strategy_s_knobs_bind_onto_its_own_options_record()
    {
        var spec = Runs("strategy: { name: FedProx, mu: 0.3 }\n").Single().Spec.Strategy;

        Assert.Equal("FedProx", spec.Name);
        Assert.Equal(0.3, Assert.IsType<FedProxOptions>(spec.Options).Mu);
    }

    [Fact]
    public void A_strategy_given_by_name_gets_its_defaults()
    {
        var spec = Runs("strategy: fedadam\n").Single().Spec.Strategy;

        Assert.Equal("FedAdam", spec.Name);
        Assert.Equal(new FedOptOptions(), spec.Options);
    }

    [Fact]
    public void A_knob_of_another_strategy_is_refused_saying_whose_it_is()
    {
        var error = Assert.Throws<ExperimentConfigException>(() => Runs("strategy:\n  name: FedProx\n  lambda: 0.1\n"));

        Assert.Equal(3, error.Location.Line);
        Assert.Contains("'lambda' is a knob of Mira", error.Message);
        Assert.Contains("Valid keys: mu, name", error.Message);
    }

    [Fact]
    public void An_out_of_range_knob_points_at_its_value()
    {
        var error = Assert.Throws<ExperimentConfigException>(() => Runs("strategy: { name: FedTrimmedAvg, beta: 0.7 }\n"));

        Assert.Contains("Beta must be in [0, 0.5)", error.Message);
    }

    [Fact]
    public void A_sweep_over_whole_strategy_sections_gives_each_its_own_knobs()
    {
        var runs = Runs("sweep:\n  strategy: [FedAvg, { name: FedProx, mu: 0.1 }, { name: Krum, byzantineClients: 1 }]\n");

        Assert.Equal(["FedAvg", "FedProx", "Krum"], runs.Select(r => r.Spec.Strategy.Name));
        Assert.Equal(0.1, ((FedProxOptions)runs[1].Spec.Strategy.Options).Mu);
        Assert.Equal(1, ((KrumOptions)runs[2].Spec.Strategy.Options).ByzantineClients);
    }

    [Fact]
    public void A_run_s_stored_config_keeps_the_strategy_s_knobs_and_binds_back()
    {
        var run = Runs("strategy: { name: Mira, lambda: 0.2, adjacency: TokenSimilarity }\n").Single();

        Assert.Contains("\"lambda\":0.2", run.ConfigJson);
        var again = ExperimentConfig.Parse(run.ConfigJson, "stored.json").Expand().Runs.Single();
        Assert.Equal(run.Key, again.Key);
        Assert.Equal(run.Spec.Strategy.Options, again.Spec.Strategy.Options);
    }

    [Theory]
    [InlineData("strategy: FedSophia\n", "FedSophia needs clients that train with Sophia")]
    [InlineData("clients: 6\nstrategy: { name: Krum, byzantineClients: 2 }\n", "2f + 3 = 7 updates per round, but 6 clients")]
    [InlineData("clients: 10\nstrategy: { name: Mira, lambda: 0.2 }\n", "graph step diverges")]
    public void The_plan_refuses_a_federation_the_strategy_cannot_run(string yaml, string reason)
    {
        var error = Assert.Throws<ExperimentConfigException>(() => Runs(yaml));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void FedSophia_with_Sophia_clients_plans()
    {
        Assert.Equal("FedSophia", Runs("strategy: FedSophia\noptimizer: Sophia\n").Single().Spec.Strategy.Name);
    }
}
