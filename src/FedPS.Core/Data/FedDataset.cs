using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Data;

/// <summary>
/// A labelled dataset held as two tensors on one device: for images, features (float32, [N, C, H, W], scaled
/// to 0..1) and labels (int64, [N]); for text, token ids (int64, [N, T]) and next-token labels (int64, [N, T], with
/// <see cref="Primitives.Losses.IgnoreIndex"/> where the loss does not count), the classes being the vocabulary.
/// </summary>
public sealed class FedDataset
{
    private int[]? labelArray;

    public FedDataset(string name, string split, Tensor features, Tensor labels, IReadOnlyList<string> classNames)
    {
        if (features.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"features have {features.shape[0]} rows but labels {labels.shape[0]}");
        }

        Name = name;
        Split = split;
        Features = features;
        Labels = labels;
        ClassNames = classNames;
    }

    public string Name { get; }

    public string Split { get; }

    public int Count => (int)Labels.shape[0];

    /// <summary>The shape of one sample, e.g. 1×28×28.</summary>
    public int[] Shape => Features.shape.Skip(1).Select(d => (int)d).ToArray();

    public int ClassCount => ClassNames.Count;

    public IReadOnlyList<string> ClassNames { get; }

    public string Device => Features.device.ToString();

    [Newtonsoft.Json.JsonIgnore]
    public Tensor Features { get; }

    [Newtonsoft.Json.JsonIgnore]
    public Tensor Labels { get; }

    /// <summary>The labels as a host array (read once, for partitioning and histograms).</summary>
    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyList<int> LabelArray =>
        labelArray ??= Labels.cpu().to_type(ScalarType.Int32).data<int>().ToArray();

    /// <summary>
    /// Number of samples per class, indexed by class; for token data ([N, T] labels) the number of counted target
    /// tokens per vocabulary id (ignored positions are skipped).
    /// </summary>
    public int[] LabelHistogram()
    {
        var histogram = new int[ClassCount];
        foreach (var label in IsSequence ? TokenLabels() : LabelArray)
        {
            if (label >= 0)
            {
                histogram[label]++;
            }
        }

        return histogram;
    }

    /// <summary>True for language-model data: token ids [N, T] with next-token labels [N, T].</summary>
    public bool IsSequence => Labels.dim() == 2;

    /// <summary>The samples of several datasets with the same sample shape and classes, as one dataset.</summary>
    public static FedDataset Concat(string name, IReadOnlyList<FedDataset> parts)
    {
        if (parts.Count == 0 || parts.Any(p => !p.Shape.SequenceEqual(parts[0].Shape) || p.ClassCount != parts[0].ClassCount))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "Only datasets with the same sample shape and class count can be joined.", name);
        }

        return new FedDataset(name, parts[0].Split, cat(parts.Select(p => p.Features).ToArray(), 0),
            cat(parts.Select(p => p.Labels).ToArray(), 0), parts[0].ClassNames);
    }

    private IEnumerable<int> TokenLabels()
    {
        using var flat = Labels.flatten().cpu().to_type(ScalarType.Int32);
        return flat.data<int>().ToArray();
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as a view: no copy.</summary>
    public FedDataset Slice(int start, int count, string name) =>
        new(name, Split, Features.narrow(0, start, count), Labels.narrow(0, start, count), ClassNames);

    /// <summary>A new dataset holding copies of the given rows, on the same device.</summary>
    public FedDataset Subset(IReadOnlyList<int> indices, string name) => Subset(indices, name, Split);

    /// <summary>
    /// The samples of this (training) split that <paramref name="holdout"/> keeps for training, as split "train";
    /// with <paramref name="validation"/>, the samples it holds out, as split "validation". The two never overlap.
    /// </summary>
    public FedDataset Carve(ValidationHoldout holdout, bool validation)
    {
        if (IsSequence)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"'{Name}' holds token sequences; a validation split is carved by class label from image datasets.", Name);
        }

        var (train, held) = holdout.Split(LabelArray);
        return validation ? Subset(held, Name, "validation") : Subset(train, Name, "train");
    }

    private FedDataset Subset(IReadOnlyList<int> indices, string name, string split)
    {
        using var index = tensor(indices.Select(i => (long)i).ToArray(), device: Features.device);
        return new FedDataset(name, split, Features.index_select(0, index), Labels.index_select(0, index), ClassNames);
    }

    /// <summary>Builds a dataset from unsigned-byte pixels, scaling them to 0..1 and moving them to <paramref name="device"/>.</summary>
    public static FedDataset FromBytes(string name, string split, byte[] pixels, byte[] labels, int[] sampleShape,
        double maxPixel, IReadOnlyList<string> classNames, Device device)
    {
        var shape = new long[] { labels.Length }.Concat(sampleShape.Select(d => (long)d)).ToArray();
        using var raw = tensor(pixels, dtype: ScalarType.Byte).reshape(shape);
        var features = raw.to_type(ScalarType.Float32).div_(maxPixel).to(device);
        var labelTensor = tensor(labels, dtype: ScalarType.Byte).to_type(ScalarType.Int64).to(device);
        return new FedDataset(name, split, features, labelTensor, classNames);
    }

    public override string ToString() => $"{Name} ({Split}, {Count} samples)";
}
