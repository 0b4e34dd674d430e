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
        Validate();
        return TorchRandom.WithSeed(seed, () => Architecture switch
        {
            "Mlp" => (nn.Module<Tensor, Tensor>)new MlpNet(InputShape.Aggregate(1, (a, b) => a * b), HiddenSizes, Classes),
            "Gpt" => new GptNet(Gpt!, Lora),
            _ => new CnnNet(InputShape[0], InputShape[1], InputShape[2], Classes),
        });
    }

    public static string Canonical(string architecture) => ArchitectureCatalog.Canonical(architecture);

    private void Validate()
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
