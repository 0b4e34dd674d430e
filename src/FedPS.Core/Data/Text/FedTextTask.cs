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
    /// <summary>A text task's splits (its examples are split once, seeded; there is no validation split).</summary>
    public static readonly Catalog<string> SplitCatalog = Catalog.Of("split", "train", "test");

    private FedTextTask(TextTaskDefinition definition, IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> test,
        ITextTokenizer tokenizer, int context, torch.Device device)
    {
        Definition = definition;
        TrainExamples = train;
        TestExamples = test;
        Tokenizer = tokenizer.Name;
        ContextLength = context;
        Train = TextEncoder.Instructions(definition.Name, "train", train, tokenizer, context, device);
        Test = TextEncoder.Instructions(definition.Name, "test", test, tokenizer, context, device);
    }

    public TextTaskDefinition Definition { get; }

    public string Name => Definition.Name;

    public TextTaskKind Kind => Definition.Kind;

    public string Packages => string.Join(", ", Definition.Packages.Select(p => p.Name));

    public string Tokenizer { get; }

    public int ContextLength { get; }

    public IReadOnlyList<TextExample> TrainExamples { get; }

    public IReadOnlyList<TextExample> TestExamples { get; }

    public FedDataset Train { get; }

    public FedDataset Test { get; }

    /// <summary>The first training example, to show what the task asks.</summary>
    public TextExample Example => TrainExamples[0];

    /// <summary>
    /// Loads the task's examples, shuffles them with a seed derived from (<paramref name="seed"/>, task name),
    /// and takes the first <paramref name="testCount"/> as test and the next <paramref name="trainCount"/> as train.
    /// </summary>
    public static FedTextTask Load(TextTaskDefinition definition, ITextTokenizer tokenizer, int context, int trainCount, int testCount,
        int seed, torch.Device device)
    {
        if (trainCount < 1 || testCount < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "TrainCount and TestCount must be at least 1.", definition.Name);
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
        var train = Math.Min(trainCount, examples.Length - test);
        return new FedTextTask(definition, examples[test..(test + train)], examples[..test], tokenizer, context, device);
    }

    public override string ToString() => $"{Name} ({Kind}, {TrainExamples.Count} train / {TestExamples.Count} test)";

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
