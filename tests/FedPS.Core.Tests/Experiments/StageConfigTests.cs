using FedPS.Core.Experiments;
using FedPS.Core.Federation.Stages;

namespace FedPS.Core.Tests.Experiments;

/// <summary>The privacy:, compression:, attack: and availability: sections bind onto the stages' options records.</summary>
public sealed class StageConfigTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-stagecfg-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static PlannedRun[] Runs(string yaml, string source = "c.yaml") => ExperimentConfig.Parse(yaml, source).Expand().Runs.ToArray();

    [Fact]
    public void Each_section_binds_onto_its_options_record()
    {
        var spec = Runs("""
            privacy: { clipNorm: 0.5, noiseMultiplier: 1.2, targetDelta: 1e-6, adaptiveClip: true, targetQuantile: 0.7 }
            compression: { method: Qsgd, levels: 4, errorFeedback: true }
            attack: { kind: SignFlip, fraction: 0.2, scale: 2 }
            availability: { dropoutProbability: 0.3, deadline: 2.5 }
            """).Single().Spec;

        Assert.Equal(new PrivacyOptions { ClipNorm = 0.5, NoiseMultiplier = 1.2, TargetDelta = 1e-6, AdaptiveClip = true, TargetQuantile = 0.7 }, spec.Privacy);
        Assert.Equal(new CompressionOptions { Method = CompressionMethod.Qsgd, Levels = 4, ErrorFeedback = true }, spec.Compression);
        Assert.Equal(new AttackOptions { Kind = AttackKind.SignFlip, Fraction = 0.2, Scale = 2 }, spec.Attack);
        Assert.Equal(new AvailabilityOptions { DropoutProbability = 0.3, Deadline = 2.5 }, spec.Availability);
        Assert.Equal(4, spec.Stages().Count);
    }

    [Fact]
    public void The_stored_config_names_the_methods_and_binds_back()
    {
        var run = Runs("compression: { method: Qsgd }\nattack: { kind: LabelFlip, count: 1 }\nprivacy: { mode: Local }\n").Single();

        Assert.Contains("\"method\":\"Qsgd\"", run.ConfigJson);
        Assert.Contains("\"kind\":\"LabelFlip\"", run.ConfigJson);
        Assert.Contains("\"mode\":\"Local\"", run.ConfigJson);
        var again = Runs(run.ConfigJson, "stored.json").Single(); // JSON is YAML
        Assert.Equal(run.ConfigJson, again.ConfigJson);
    }

    [Fact]
    public void A_run_without_the_sections_has_no_stages_and_keeps_its_old_key()
    {
        var run = Runs("rounds: 2\n").Single();

        Assert.Empty(run.Spec.Stages());
        Assert.DoesNotContain("privacy", run.ConfigJson, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_config_without_a_validation_split_keeps_its_old_key()
    {
        Assert.DoesNotContain("validation", Runs("rounds: 1\n").Single().ConfigJson, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("validationFraction", Runs("dataset: { validationFraction: 0.1 }\n").Single().ConfigJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweeps_take_stage_knobs()
    {
        var runs = Runs("privacy: { clipNorm: 1 }\nsweep:\n  privacy.noiseMultiplier: [0.5, 1, 2]\n");

        Assert.Equal([0.5, 1, 2], runs.Select(r => r.Spec.Privacy!.NoiseMultiplier));
        Assert.Equal("noiseMultiplier=0.5", runs[0].Point);
    }

    [Theory]
    [InlineData("privacy: { clipNorm: -1 }\n", "ClipNorm must be positive and finite (got -1)")]
    [InlineData("privacy: { targetDelta: 2 }\n", "TargetDelta must be in (0, 1) (got 2)")]
    [InlineData("compression: { method: TopK, ratio: 0 }\n", "Ratio must be in (0, 1]")]
    [InlineData("compression: { method: Qsgd, levels: 0 }\n", "Levels must be at least 1 (got 0)")]
    [InlineData("attack: { kind: Banana }\n", "'Banana' is not one of LabelFlip, SignFlip, Scale, GaussianNoise")]
    [InlineData("privacy: { clip: 1 }\n", "Unknown key 'clip'")]
    public void Bad_values_are_reported_at_their_line_before_anything_runs(string yaml, string message)
    {
        var error = Assert.Throws<ExperimentConfigException>(() => Runs(yaml));

        Assert.Contains(message, error.Message);
        Assert.Equal(1, error.Location.Line);
    }

    [Fact]
    public void A_trace_path_is_relative_to_the_config_file_and_its_bad_rows_are_named()
    {
        File.WriteAllLines(Path.Combine(folder, "trace.csv"), ["client,round,available", "0,1,0", "1,one,1"]);
        var config = Path.Combine(folder, "sweep.yaml");
        File.WriteAllText(config, "availability: { trace: trace.csv }\n");

        var error = Assert.Throws<ExperimentConfigException>(() => ExperimentConfig.Load(config).Expand());

        Assert.Contains($"{Path.Combine(folder, "trace.csv")}:3: the round 'one' is not a round number", error.Message);
    }
}
