using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

public sealed class RunGroupsTests
{
    private static FedRun Run(int id, int seed, int rounds, double learningRate) => new()
    {
        Id = id, Key = $"k{id}", Name = $"x/learningRate={learningRate}/seed={seed}", Experiment = "x", Dataset = "digits",
        Strategy = "FedAvg", Seed = seed, Status = RunStatus.Complete, RoundsPlanned = rounds, CreatedUtc = DateTime.UnixEpoch,
        Parameters = new Dictionary<string, string> { ["learningRate"] = learningRate.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        Config = $$$"""{"name":"x","rounds":{{{rounds}}},"seed":{{{seed}}},"optimizer":{"learningRate":{{{learningRate}}}}}""",
        Rounds = [],
    };

    [Fact]
    public void Seeds_of_one_point_form_one_group()
    {
        var groups = RunGroups.By([Run(1, 1, 3, 0.1), Run(2, 2, 3, 0.1), Run(3, 1, 3, 0.2)], RunGroups.Point);

        Assert.Equal(["learningRate=0.1", "learningRate=0.2"], groups.Select(g => g.Label));
        Assert.Equal(2, groups[0].Runs.Count);
    }

    [Fact]
    public void Runs_of_one_point_with_other_settings_are_never_averaged_as_seeds()
    {
        var groups = RunGroups.By([Run(1, 1, 3, 0.1), Run(2, 2, 3, 0.1), Run(3, 1, 5, 0.1)], RunGroups.Point);

        Assert.Equal(["learningRate=0.1 (rounds=3)", "learningRate=0.1 (rounds=5)"], groups.Select(g => g.Label));
        Assert.Equal([2, 1], groups.Select(g => g.Runs.Count));
    }

    [Fact]
    public void Grouping_by_another_value_keeps_every_run_of_that_value_together() =>
        Assert.Single(RunGroups.By([Run(1, 1, 3, 0.1), Run(2, 1, 5, 0.2)], "Strategy"));
}
