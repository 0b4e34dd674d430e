using FedPS.Core.Tokenizers;
using FedPS.Core.Primitives;
using TorchSharp;

namespace FedPS.Core.Data.Text;

/// <summary>
/// A text task ready for federated fine-tuning: a seeded train/test split of its examples, tokenized into
/// <see cref="Train"/> and <see cref="Test"/> datasets (loss on response tokens only).
/// </summary>
public sealed class FedTextTask
{
    private FedTextTask(TextTaskDefinition definition, IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> validation,
        IReadOnlyList<TextExample> test, ITextTokenizer tokenizer, int context, torch.Device device)
    {
        Definition = definition;
        TrainExamples = train;
        ValidationExamples = validation;
        TestExamples = test;
        Tokenizer = tokenizer.Name;
        ContextLength = context;
        Train = TextEncoder.Instructions(definition.Name, "train", train, tokenizer, context, device);
        Validation = validation.Count == 0 ? null : TextEncoder.Instructions(definition.Name, "validation", validation, tokenizer, context, device);
        Test = TextEncoder.Instructions(definition.Name, "test", test, tokenizer, context, device);
    }

    [Newtonsoft.Json.JsonIgnore]
    public TextTaskDefinition Definition { get; }

    public string Name => Definition.Name;

    public TextTaskKind Kind => Definition.Kind;

    public string Packages => string.Join(", ", Definition.Packages.Select(p => p.Name));

    public string Tokenizer { get; }

    public int ContextLength { get; }

    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyList<TextExample> TrainExamples { get; }

    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyList<TextExample> TestExamples { get; }

    /// <summary>Examples held out from training for tuning and early stopping (none unless asked for).</summary>
    public IReadOnlyList<TextExample> ValidationExamples { get; }

    public FedDataset Train { get; }

    /// <summary>The validation examples as a dataset, or null without any.</summary>
    public FedDataset? Validation { get; }

    public FedDataset Test { get; }

    /// <summary>The first training example, to show what the task asks.</summary>
    public TextExample Example => TrainExamples[0];

    /// <summary>
    /// Loads the task's examples, shuffles them with a seed derived from (<paramref name="seed"/>, task name),
    /// and takes the first <paramref name="testCount"/> as test, the next <paramref name="validationCount"/> as
    /// validation (carved from what would otherwise be training data) and the next <paramref name="trainCount"/> as train.
    /// The test split does not depend on <paramref name="validationCount"/>.
    /// </summary>
    public static FedTextTask Load(TextTaskDefinition definition, ITextTokenizer tokenizer, int context, int trainCount, int testCount,
        int seed, torch.Device device, int validationCount = 0)
    {
        if (trainCount < 1 || testCount < 1 || validationCount < 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "TrainCount and TestCount must be at least 1, ValidationCount at least 0.", definition.Name);
        }

        var examples = definition.LoadExamples().ToArray();
        if (examples.Length < 2)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"Task '{definition.Name}' found {examples.Length} usable examples in {string.Join(", ", definition.Packages.Select(p => p.Name))}.",
                definition.Name);
        }

        new Random(SeedSequence.DeriveInt(seed, StableHash(definition.Name))).Shuffle(examples);
        var test = Math.Min(testCount, examples.Length / 2);
        var validation = Math.Min(validationCount, (examples.Length - test) / 2);
        var start = test + validation;
        var train = Math.Min(trainCount, examples.Length - start);
        return new FedTextTask(definition, examples[start..(start + train)], examples[test..start], examples[..test], tokenizer, context, device);
    }

    public override string ToString() => ValidationExamples.Count == 0
        ? $"{Name} ({Kind}, {TrainExamples.Count} train / {TestExamples.Count} test)"
        : $"{Name} ({Kind}, {TrainExamples.Count} train / {ValidationExamples.Count} validation / {TestExamples.Count} test)";

    // FNV-1a: string.GetHashCode is randomized per process, and the split must not be.
    private static long StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (long)(hash >> 1);
    }
}
