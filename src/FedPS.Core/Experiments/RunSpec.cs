using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using System.Text.Json.Serialization;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;

namespace FedPS.Core.Experiments;

/// <summary>
/// Everything one run of an experiment needs, fully resolved (one point of a sweep, one seed). Each section is
/// the engine's own option record, so a knob added to <see cref="OptimizerSpec"/>, <see cref="LocalTrainingSpec"/>,
/// <see cref="ModelSpec"/> or a strategy's options record is a YAML key without touching the config code.
/// </summary>
public sealed record RunSpec
{
    public string Name { get; init; } = "experiment";

    public DatasetSpec Dataset { get; init; } = new();

    public PartitionSpec Partition { get; init; } = new();

    public int Clients { get; init; } = 10;

    /// <summary>Fraction of clients sampled per round.</summary>
    public double SampleFraction { get; init; } = 1.0;

    public int Rounds { get; init; } = 10;

    /// <summary>Evaluate the global model on the test split every this many rounds (and after the last).</summary>
    public int EvalEvery { get; init; } = 1;

    /// <summary>Write a checkpoint every this many rounds (and after the last).</summary>
    public int CheckpointEvery { get; init; } = 1;

    public int Seed { get; init; } = 1;

    /// <summary>The network; its input shape and class count come from the dataset.</summary>
    public ModelSpec Model { get; init; } = new("Mlp", [], 0, ModelSpec.DefaultMlpHidden);

    /// <summary>Local training; its optimizer is the separate <see cref="Optimizer"/> section.</summary>
    public LocalTrainingSpec Training { get; init; } = new();

    public OptimizerSpec Optimizer { get; init; } = OptimizerSpec.Sgd(0.05);

    public StrategySpec Strategy { get; init; } = new();

    /// <summary>Client-level differential privacy (central DP-FedAvg, or local DP on every client); none when absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PrivacyOptions? Privacy { get; init; }

    /// <summary>Uplink compression (top-k, QSGD, 8-bit, 1-bit sign; error feedback); none when absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CompressionOptions? Compression { get; init; }

    /// <summary>Byzantine clients (label flipping, sign flipping, scaling, Gaussian noise) and which clients attack; none when absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AttackOptions? Attack { get; init; }

    /// <summary>Client availability: dropout, an availability trace, a deadline; every client available when absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AvailabilityOptions? Availability { get; init; }

    /// <summary>Properties that are not configuration (set from elsewhere), as dotted paths.</summary>
    public static IReadOnlySet<string> Derived { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "model.inputShape", "model.classes", "training.optimizer",
    };

    /// <summary>
    /// Checks every value and canonicalises names against the engine's catalogs, and checks the run against its
    /// dataset's known shape and size (from the catalog, without reading the data): whatever a run would refuse at
    /// its start is refused here, in the plan, before a store is created.
    /// </summary>
    public RunSpec Validated()
    {
        RequireNameIsPlain(Name);
        RequireAtLeast(Clients, 1, nameof(Clients));
        RequireAtLeast(Rounds, 1, nameof(Rounds));
        RequireAtLeast(EvalEvery, 1, nameof(EvalEvery));
        RequireAtLeast(CheckpointEvery, 1, nameof(CheckpointEvery));
        if (!(SampleFraction > 0 && SampleFraction <= 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"SampleFraction must be in (0, 1] (got {SampleFraction})."), SampleFraction);
        }

        var dataset = Dataset.Validated();
        var partition = Partition.Validated();
        var model = Model with { Architecture = ModelSpec.Canonical(Model.Architecture) };
        CheckAgainst(DatasetCatalog.Get(dataset.Name), dataset, partition, model);
        var optimizer = Optimizer.Validated();
        var strategy = Strategy.Validated();
        using (var probe = strategy.Create())
        {
            probe.Check(new FederationShape(Clients, ClientSampler.Count(Clients, SampleFraction), [optimizer.Name]));
        }

        return this with
        {
            Dataset = dataset,
            Partition = partition,
            Model = model,
            Training = Training.Validated(),
            Optimizer = optimizer,
            Strategy = strategy,
            Privacy = (PrivacyOptions?)Privacy?.Validated(),
            Compression = (CompressionOptions?)Compression?.Validated(),
            Attack = (AttackOptions?)Attack?.Validated(),
            Availability = (AvailabilityOptions?)Availability?.Validated(),
        };
    }

    /// <summary>The round stages of the run's server: its privacy, compression, attack and availability sections.</summary>
    public IReadOnlyList<StageOptions> Stages() =>
        new StageOptions?[] { Availability, Attack, Privacy, Compression }.OfType<StageOptions>().ToArray();

    /// <summary>The spec with relative file paths in it (an availability trace) made absolute against <paramref name="folder"/>.</summary>
    public RunSpec ResolvePaths(string folder) => Availability is null ? this : this with { Availability = Availability.ResolvedAgainst(folder) };

    /// <summary>The local training spec with the optimizer section applied.</summary>
    public LocalTrainingSpec CreateLocalTraining() => Training with { Optimizer = Optimizer };

    private void CheckAgainst(DatasetDefinition definition, DatasetSpec dataset, PartitionSpec partition, ModelSpec model)
    {
        var samples = definition.Shape.CountOf(dataset.TrainSplit, dataset.Holdout);
        if (Clients > samples)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Clients must be at most {samples}, the samples in the {dataset.TrainSplit} split of {definition.Name}: every client needs one (got {Clients}).", Clients);
        }

        partition.CreatePartitioner().CheckSizes(samples, Clients);
        if (model.Architecture == "Gpt")
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The architecture 'Gpt' reads token sequences, but {definition.Name} holds images; experiment configs train Mlp or Cnn models.", model.Architecture);
        }

        (model with { InputShape = definition.Shape.SampleShape, Classes = definition.ClassNames.Count }).Validated();
    }

    // The name becomes part of run names, log folder names and error messages.
    private static void RequireNameIsPlain(string name)
    {
        if (name.Length is 0 or > 200 || name.Any(char.IsControl))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Name must be 1 to 200 characters without control characters (got '{name.ReplaceLineEndings(" ").Replace('\0', ' ')}').", name);
        }
    }

    private static void RequireAtLeast(int value, int minimum, string name)
    {
        if (value < minimum)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"{name} must be at least {minimum} (got {value}).", value);
        }
    }
}

/// <summary>Which data a run trains and evaluates on.</summary>
public sealed record DatasetSpec
{
    public string Name { get; init; } = "digits";

    public string TrainSplit { get; init; } = "train";

    public string TestSplit { get; init; } = "test";

    /// <summary>
    /// The fraction of the training split held out as the "validation" split (class-stratified, seeded by
    /// <see cref="ValidationSeed"/>), which the train split then excludes; 0: no holdout.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] // configs without a holdout keep their run keys
    public double ValidationFraction { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int ValidationSeed { get; init; }

    /// <summary>The holdout the splits are loaded with, or null.</summary>
    public ValidationHoldout? Holdout => ValidationFraction > 0 ? new ValidationHoldout(ValidationFraction, ValidationSeed) : null;

    public DatasetSpec Validated()
    {
        var validated = this with
        {
            Name = DatasetCatalog.Get(Name).Name,
            TrainSplit = DatasetDefinition.SplitCatalog.Canonical(TrainSplit),
            TestSplit = DatasetDefinition.SplitCatalog.Canonical(TestSplit),
        };
        if (ValidationFraction != 0)
        {
            new ValidationHoldout(ValidationFraction, ValidationSeed).Validated();
        }
        else if (validated.TrainSplit == "validation" || validated.TestSplit == "validation")
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "The validation split is carved from the training split: set validationFraction (e.g. 0.1) and validationSeed.", ValidationFraction);
        }

        return validated;
    }
}

/// <summary>How the training data is divided among clients.</summary>
public sealed record PartitionSpec
{
    private static readonly Catalog<string> KindCatalog = Catalog.Of("partition kind", "Iid", "Dirichlet", "Shards");

    public static IReadOnlyList<string> Kinds => KindCatalog.Names;

    public string Kind { get; init; } = "Iid";

    /// <summary>Dirichlet concentration α (Kind = Dirichlet).</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>Label shards per client (Kind = Shards).</summary>
    public int Shards { get; init; } = 2;

    public PartitionSpec Validated()
    {
        var validated = this with { Kind = KindCatalog.Canonical(Kind) };
        validated.CreatePartitioner(); // the partitioners check their own parameters
        return validated;
    }

    public IPartitioner CreatePartitioner() => Kind switch
    {
        "Dirichlet" => new DirichletPartitioner(Alpha),
        "Shards" => new ShardPartitioner(Shards),
        _ => new IidPartitioner(),
    };
}
