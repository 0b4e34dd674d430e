using FedPS.Core.Experiments;
using YamlDotNet.RepresentationModel;

namespace FedPS.Core.Tests.Experiments;

/// <summary>The binder knows no schema: these records stand in for option records added on other branches.</summary>
public sealed class ConfigBinderTests
{
    public sealed record Knobs
    {
        public double Mu { get; init; } = 0.1;

        public int Warmup { get; init; } = 3;
    }

    public sealed record Section
    {
        public string Name { get; init; } = "a";

        public int[] Sizes { get; init; } = [1];

        public Knobs Options { get; init; } = new();
    }

    public sealed record Root
    {
        public Section Strategy { get; init; } = new();

        public int? Steps { get; init; } = 4;
    }

    private static Root Bind(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new ConfigBinder("t.yaml", new Dictionary<string, OverlayValue>(), new HashSet<string>())
            .Bind((YamlMappingNode)stream.Documents[0].RootNode, new Root());
    }

    [Fact]
    public void A_new_property_of_an_options_record_is_a_key_of_its_section()
    {
        var root = Bind("strategy:\n  name: b\n  mu: 0.5\n  sizes: [2, 3]\n");

        Assert.Equal("b", root.Strategy.Name);
        Assert.Equal([2, 3], root.Strategy.Sizes);
        Assert.Equal(0.5, root.Strategy.Options.Mu);
        Assert.Equal(3, root.Strategy.Options.Warmup);
        Assert.Equal(4, root.Steps);
    }

    [Fact]
    public void A_section_with_a_name_can_be_given_as_its_name()
    {
        Assert.Equal("c", Bind("strategy: c\n").Strategy.Name);
    }

    [Fact]
    public void Null_clears_a_nullable_setting()
    {
        Assert.Null(Bind("steps: null\n").Steps);
    }

    [Fact]
    public void An_unknown_key_lists_the_section_keys_including_its_options()
    {
        var error = Assert.Throws<ExperimentConfigException>(() => Bind("strategy:\n  nu: 1\n"));

        Assert.Equal("strategy.nu", error.SettingPath);
        Assert.Contains("Valid keys: mu, name, sizes, warmup", error.Message);
        Assert.Equal((2, 3), (error.Location.Line, error.Location.Column));
    }
}
