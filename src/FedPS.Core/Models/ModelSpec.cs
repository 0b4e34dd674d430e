using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// What to build: an architecture name plus the data's sample shape and class count. A Gpt also carries its
/// <see cref="GptConfig"/> (its input shape is [context], its classes the vocabulary) and optionally LoRA adapters.
/// </summary>
public sealed record ModelSpec(string Architecture, int[] InputShape, int Classes, int[] HiddenSizes)
{
    private static readonly Catalog<string> ArchitectureCatalog = Catalog.Of("architecture", "Mlp", "Cnn", "Gpt");

    public static IReadOnlyList<string> Architectures => ArchitectureCatalog.Names;

    public GptConfig? Gpt { get; init; }

    public LoraSpec? Lora { get; init; }

    /// <summary>A GPT of the given size, with LoRA adapters when <paramref name="lora"/> is given.</summary>
    public static ModelSpec ForGpt(GptConfig config, LoraSpec? lora = null) =>
        new("Gpt", [config.ContextLength], config.VocabularySize, []) { Gpt = config.Validated(), Lora = lora?.Validated() };

    /// <summary>McMahan et al. 2017's "2NN": two hidden layers of 200 units.</summary>
    public static readonly int[] DefaultMlpHidden = [200, 200];

    /// <summary>Builds the network with weights drawn from <paramref name="seed"/>.</summary>
    public nn.Module<Tensor, Tensor> Build(int seed)
    {
        Validated();
        return TorchRandom.WithSeed(seed, () => Architecture switch
        {
            "Mlp" => (nn.Module<Tensor, Tensor>)new MlpNet(InputShape.Aggregate(1, (a, b) => a * b), HiddenSizes, Classes),
            "Gpt" => new GptNet(Gpt!, Lora),
            _ => new CnnNet(InputShape[0], InputShape[1], InputShape[2], Classes),
        });
    }

    public static string Canonical(string architecture) => ArchitectureCatalog.Canonical(architecture);

    /// <summary>What the spec builds, in one line: "Mlp 1×8×8 → 10 classes, hidden 200, 200".</summary>
    public override string ToString() => Architecture switch
    {
        "Gpt" when Gpt is not null => $"Gpt {Gpt}{(Lora is null ? string.Empty : $", {Lora}")}",
        "Mlp" => $"Mlp {Describe(InputShape)} → {Classes} classes, hidden {(HiddenSizes.Length == 0 ? "none" : string.Join(", ", HiddenSizes))}",
        _ => $"{Architecture} {Describe(InputShape)} → {Classes} classes",
    };

    /// <summary>
    /// Checks the spec can be built, before anything is allocated: sizes in range, and a parameter count (computed
    /// without overflow) whose float32 weights fit in the memory available to the process.
    /// </summary>
    public ModelSpec Validated()
    {
        if (Classes < 2)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"A classifier needs at least 2 classes (got {Classes}).", Classes);
        }

        if (InputShape.Length == 0 || InputShape.Any(d => d < 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Invalid input shape {Describe(InputShape)}.", InputShape);
        }

        if (Architecture == "Gpt" && Gpt is null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "A Gpt model spec needs its GptConfig (use ModelSpec.ForGpt).", Architecture);
        }

        if (Lora is not null && Architecture != "Gpt")
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"LoRA adapters are available for the Gpt architecture, not {Architecture}.", Architecture);
        }

        if (Architecture == "Cnn" && InputShape.Length != 3)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The Cnn needs images shaped channels×height×width (got {Describe(InputShape)}).", InputShape);
        }

        if (Architecture == "Cnn" && (InputShape[1] < 4 || InputShape[2] < 4))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The Cnn pools twice by 2 and needs images of at least 4×4 (got {InputShape[1]}×{InputShape[2]}).", InputShape);
        }

        if (Architecture == "Mlp" && HiddenSizes.Any(h => h < 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"HiddenSizes must all be at least 1 (got {string.Join(", ", HiddenSizes)}).", HiddenSizes);
        }

        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var parameters = ParameterCount();
        if (parameters > available / sizeof(float))
        {
            throw new FedPSException(FedErrorKind.LimitExceeded,
                $"The {Architecture} model would have {(parameters == long.MaxValue ? "more than 9.2e18" : parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture))} " +
                $"parameters, more than the {available / (1L << 20):N0} MiB of memory available can hold as float32; make it smaller.", this);
        }

        return this;
    }

    /// <summary>The number of weights the network will have (long.MaxValue when that overflows), computed from the spec alone.</summary>
    public long ParameterCount()
    {
        static long Linear(long inputs, long outputs) => (inputs * outputs) + outputs;
        try
        {
            return checked(Architecture switch
            {
                "Mlp" => MlpCount(InputShape.Aggregate(1L, (a, b) => checked(a * b)), HiddenSizes, Classes),
                "Cnn" => Linear(InputShape[0] * 25L, 32) + Linear(32 * 25L, 64) +
                         Linear(64L * (InputShape[1] / 4) * (InputShape[2] / 4), 512) + Linear(512, Classes),
                _ => GptCount(Gpt!),
            });
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }

        static long MlpCount(long inputs, int[] hidden, int classes)
        {
            var total = 0L;
            foreach (var width in hidden.Append(classes))
            {
                total = checked(total + Linear(inputs, width));
                inputs = width;
            }

            return total;
        }

        // Embeddings, then per block: q, k, v, out (d×d), the MLP (d×4d, 4d×d) and two layer norms; the final norm.
        static long GptCount(GptConfig c)
        {
            long d = c.Embedding;
            var block = checked((4 * Linear(d, d)) + Linear(d, 4 * d) + Linear(4 * d, d) + (4 * d));
            return checked(((c.VocabularySize + (long)c.ContextLength) * d) + (c.Layers * block) + (2 * d));
        }
    }

    public static string Describe(IEnumerable<int> shape) => string.Join("×", shape);
}

/// <summary>Seeded construction: torch's global generator is shared, so seeding and drawing happen under one lock.</summary>
public static class TorchRandom
{
    private static readonly object Gate = new();

    public static T WithSeed<T>(long seed, Func<T> create)
    {
        lock (Gate)
        {
            torch.random.manual_seed(seed);
            return create();
        }
    }
}
