using System.Collections;
using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

public sealed class ExperimentConfigTests
{
    private const string Sweep = """
        name: t
        dataset: digits
        rounds: 3
        optimizer:
          name: Sgd
          learningRate: 0.1
        sweep:
          optimizer.learningRate: [0.05, 0.1]
          strategy: [FedAvg]
        seeds: [1, 2, 3]
        """;

    private static ExperimentConfigException Fails(string yaml) =>
        Assert.Throws<ExperimentConfigException>(() => ExperimentConfig.Parse(yaml, "c.yaml").Expand());

    [Fact]
    public void A_sweep_expands_to_the_cartesian_product_times_the_seeds_with_seeds_fastest()
    {
        var plan = ExperimentConfig.Parse(Sweep, "c.yaml").Expand();

        Assert.Equal(6, plan.Runs.Count);
        Assert.Equal([0.05, 0.05, 0.05, 0.1, 0.1, 0.1], plan.Runs.Select(r => r.Spec.Optimizer.LearningRate));
        Assert.Equal([1, 2, 3, 1, 2, 3], plan.Runs.Select(r => r.Seed));
        Assert.Equal("t/learningRate=0.05,strategy=FedAvg/seed=1", plan.Runs[0].Name);
        Assert.Equal(6, plan.Runs.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void Settings_bind_onto_the_engine_records_with_defaults_kept()
    {
        var spec = ExperimentConfig.Parse("""
            dataset: { name: DIGITS }
            training: { batchSize: 8, steps: 5 }
            optimizer: adam
            model: { architecture: cnn }
            partition: { kind: dirichlet, alpha: 0.3 }
            """, "c.yaml").Expand().Runs.Single().Spec;

        Assert.Equal("digits", spec.Dataset.Name);
        Assert.Equal(8, spec.Training.BatchSize);
        Assert.Equal(5, spec.Training.Steps);
        Assert.Equal("Adam", spec.Optimizer.Name);
        Assert.Equal(0.999, spec.Optimizer.Beta2);
        Assert.Equal("Cnn", spec.Model.Architecture);
        Assert.Equal(("Dirichlet", 0.3), (spec.Partition.Kind, spec.Partition.Alpha));
    }

    [Fact]
    public void A_hashtable_config_is_the_same_as_its_yaml()
    {
        var settings = new Hashtable
        {
            ["name"] = "t", ["dataset"] = "digits", ["rounds"] = 3,
            ["optimizer"] = new Hashtable { ["name"] = "Sgd", ["learningRate"] = 0.1 },
            ["sweep"] = new Hashtable { ["optimizer.learningRate"] = new[] { 0.05, 0.1 }, ["strategy"] = new[] { "FedAvg" } },
            ["seeds"] = new[] { 1, 2, 3 },
        };

        var fromTable = ExperimentConfig.FromDictionary(settings).Expand();
        var fromYaml = ExperimentConfig.Parse(Sweep, "c.yaml").Expand();

        Assert.Equal(fromYaml.Runs.Select(r => r.Key), fromTable.Runs.Select(r => r.Key));
    }

    [Fact]
    public void A_runs_resolved_json_binds_back_to_the_same_run()
    {
        var run = ExperimentConfig.Parse(Sweep, "c.yaml").Expand().Runs[4];
        var json = (System.Collections.IDictionary)ToHashtable(System.Text.Json.JsonDocument.Parse(run.ConfigJson).RootElement)!;

        Assert.Equal(run.Key, ExperimentConfig.FromDictionary(json).Expand().Runs.Single().Key);
    }

    private static object? ToHashtable(System.Text.Json.JsonElement e) => e.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Object => e.EnumerateObject().Aggregate(new Hashtable(), (h, p) => { h[p.Name] = ToHashtable(p.Value); return h; }),
        System.Text.Json.JsonValueKind.Array => e.EnumerateArray().Select(ToHashtable).ToArray(),
        System.Text.Json.JsonValueKind.String => e.GetString(),
        System.Text.Json.JsonValueKind.Number => e.GetDouble(),
        System.Text.Json.JsonValueKind.True => true,
        System.Text.Json.JsonValueKind.False => false,
        _ => null,
    };

    [Fact]
    public void An_unknown_key_names_line_column_and_the_valid_keys()
    {
        var error = Fails("rounds: 3\noptimizer:\n  learningRat: 0.1\n");

        Assert.Equal((3, 3), (error.Location.Line, error.Location.Column));
        Assert.Contains("c.yaml:3:3", error.Message);
        Assert.Contains("Unknown key 'learningRat'", error.Message);
        Assert.Contains("learningRate", error.Message);
    }

    [Fact]
    public void A_wrong_type_names_its_position_and_the_expected_type()
    {
        var error = Fails("rounds: many\n");

        Assert.Equal((1, 9), (error.Location.Line, error.Location.Column));
        Assert.Contains("'many' is not an integer", error.Message);
    }

    [Fact]
    public void An_out_of_range_value_from_the_engine_points_at_its_setting()
    {
        var error = Fails("name: x\nrounds: -2\n");

        Assert.Equal("rounds", error.SettingPath);
        Assert.Equal(2, error.Location.Line);
        Assert.Contains("Rounds must be at least 1 (got -2)", error.Message);
    }

    [Fact]
    public void A_bad_value_in_a_sweep_list_points_into_the_list()
    {
        var error = Fails("optimizer: { learningRate: 0.1 }\nsweep:\n  optimizer.learningRate: [0.1, -1]\n");

        Assert.Equal((3, 33), (error.Location.Line, error.Location.Column));
        Assert.Contains("LearningRate must be a positive number", error.Message);
    }

    [Fact]
    public void An_unknown_name_lists_the_catalog()
    {
        var error = Fails("strategy: FedAvgg\n");

        Assert.Contains("Valid strategies: FedAvg", error.Message);
        Assert.Equal(1, error.Location.Line);
    }

    [Theory]
    [InlineData("rounds: [1\n", "not valid YAML")]
    [InlineData("sweep:\n  optimizer.learningRate: []\n", "sweep list is empty")]
    [InlineData("- 1\n- 2\n", "key: value pairs")]
    [InlineData("sweep:\n  optimizer.learningRate: [0.1, 0.1]\n", "identical")]
    [InlineData("seed: 1\nseeds: [1]\n", "either 'seed' or 'seeds'")]
    public void Malformed_configs_are_refused_with_a_reason(string yaml, string reason) =>
        Assert.Contains(reason, Fails(yaml).Message);

    [Fact]
    public void A_sweep_beyond_the_limit_needs_force()
    {
        var config = ExperimentConfig.Parse("seeds: [1, 2, 3, 4, 5]\n", "c.yaml");

        Assert.Contains("more than the limit of 4", Assert.Throws<ExperimentConfigException>(() => config.Expand(maxRuns: 4)).Message);
        Assert.Equal(5, config.Expand(maxRuns: 4, force: true).Runs.Count);
    }

    [Theory]
    [InlineData(50_000)]
    [InlineData(33)]
    public void Nesting_deeper_than_the_limit_is_refused_while_parsing_not_by_a_stack_overflow(int levels)
    {
        var sequences = "hiddenSizes: " + new string('[', levels) + new string(']', levels) + "\n";
        var maps = "model: " + string.Concat(Enumerable.Repeat("{a: ", levels)) + "1" + new string('}', levels) + "\n";

        foreach (var yaml in new[] { sequences, maps })
        {
            var error = Assert.Throws<ExperimentConfigException>(() => ExperimentConfig.Parse(yaml, "c.yaml"));
            Assert.Equal(FedErrorKind.LimitExceeded, error.Kind);
            Assert.Equal(1, error.Location.Line);
        }
    }

    [Fact]
    public void A_config_larger_than_the_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fedps-big-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "name: big\n# " + new string('x', ConfigLimits.MaxBytes) + "\n");
        try
        {
            var error = Assert.Throws<ExperimentConfigException>(() => ExperimentConfig.Load(path));

            Assert.Equal(FedErrorKind.LimitExceeded, error.Kind);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_hashtable_that_contains_itself_is_refused_not_recursed_into()
    {
        var settings = new Hashtable { ["name"] = "loop" };
        settings["model"] = settings;

        var error = Assert.Throws<ExperimentConfigException>(() => ExperimentConfig.FromDictionary(settings));

        Assert.Equal(FedErrorKind.LimitExceeded, error.Kind);
        Assert.Contains("<hashtable>", error.Message);
    }

    [Fact]
    public void The_run_count_saturates_instead_of_overflowing_past_the_limit()
    {
        var axes = string.Concat(Enumerable.Range(0, 10).Select(i => $"  a{i}: *v\n"));
        var config = ExperimentConfig.Parse($"v: &v [{string.Join(", ", Enumerable.Range(1, 100))}]\nsweep:\n{axes}", "c.yaml");

        Assert.Equal(long.MaxValue, config.RunCount); // 100^10 does not fit a long; a wrapped count could pass the limit
        Assert.Equal(FedErrorKind.LimitExceeded, Assert.Throws<ExperimentConfigException>(() => config.Runs(force: true)).Kind);
    }

    [Fact]
    public void Runs_are_made_one_at_a_time_so_a_plan_streams()
    {
        var config = ExperimentConfig.Parse("dataset: digits\nsweep:\n  clients: [2, 5000]\n", "c.yaml");

        var first = config.Runs().First(); // the second run, which is invalid, is never made
        var error = Assert.Throws<ExperimentConfigException>(() => config.Expand());

        Assert.Equal(2, first.Clients);
        Assert.Contains("(got 5000)", error.Message);
    }
}
