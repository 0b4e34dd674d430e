using TorchSharp;

namespace FedPS.Core.Data;

/// <summary>Where a dataset's files come from: a package of one of the registries this project reaches.</summary>
/// <param name="Kind">"npm" or "deb".</param>
/// <param name="Package">The package spec (npm: name@version; deb: package name).</param>
/// <param name="Folder">The folder inside the package that holds the files.</param>
public sealed record PackageSource(string Kind, string Package, string Folder)
{
    public static PackageSource Npm(string spec, string folder) => new("npm", spec, folder);

    public static PackageSource Debian(string package, string folder) => new("deb", package, folder);

    public override string ToString() => $"{Kind} package {Package}";
}

/// <summary>Files FedPS installs from one package into its own folder under <see cref="DataPaths.Root"/>.</summary>
public interface IDataPackage
{
    string Name { get; }

    PackageSource Source { get; }

    /// <summary>File names or wildcard patterns (* and ?) inside the package folder; each must match at least one file.</summary>
    IReadOnlyList<string> Files { get; }

    /// <summary>The SHA-256 each file must have, by file name (see <see cref="PinnedHashes"/>).</summary>
    IReadOnlyDictionary<string, string> Sha256 { get; }

    string Folder { get; }

    bool IsInstalled { get; }
}

/// <summary>A dataset's sample shape and split sizes, as its pinned files hold them.</summary>
public sealed record DatasetShape(int[] SampleShape, int Train, int Test)
{
    /// <summary>The samples in a split; with a <paramref name="holdout"/>, train without it or the validation split.</summary>
    public int CountOf(string split, ValidationHoldout? holdout = null) => split switch
    {
        "test" => Test,
        "validation" => holdout?.ValidationCount(Train) ?? 0,
        _ => Train - (holdout?.ValidationCount(Train) ?? 0),
    };
}

/// <summary>A dataset FedPS knows how to install and read.</summary>
public abstract class DatasetDefinition : IDataPackage
{
    /// <summary>
    /// The splits: the official "train" and "test", and "validation", carved from train by a
    /// <see cref="ValidationHoldout"/> (which "train" then excludes).
    /// </summary>
    public static readonly Catalog<string> SplitCatalog = Catalog.Of("split", "train", "validation", "test");

    public static IReadOnlyList<string> Splits => SplitCatalog.Names;

    protected DatasetDefinition(string name, string description, PackageSource source, IReadOnlyList<string> files,
        IReadOnlyList<string> classNames, DatasetShape shape, IReadOnlyDictionary<string, string>? sha256)
    {
        Name = name;
        Description = description;
        Source = source;
        Files = files;
        ClassNames = classNames;
        Shape = shape;
        Sha256 = sha256 ?? PinnedHashes.For(name);
    }

    public string Name { get; }

    public string Description { get; }

    public PackageSource Source { get; }

    /// <summary>File names (inside the package folder and inside the installed dataset folder).</summary>
    public IReadOnlyList<string> Files { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>What the installed files hold (sample shape, split sizes), known without reading them.</summary>
    public DatasetShape Shape { get; }

    public IReadOnlyDictionary<string, string> Sha256 { get; }

    public string Folder => DataPaths.For(Name);

    public string SetupHint => $"Install it with: Install-FedDataset -Name {Name}   (or: dotnet pwsh ./build.ps1 -Task Setup)";

    public bool IsInstalled => PackageFiles.AllPresent(this);

    /// <summary>
    /// Reads a split; with <paramref name="verify"/>, first checks every installed file against its pinned SHA-256.
    /// With a <paramref name="holdout"/>, "train" is the training split without the held-out samples and "validation"
    /// is those samples; "validation" needs a holdout, and "test" is never touched by one.
    /// </summary>
    public FedDataset Load(string split, torch.Device device, bool verify = false, ValidationHoldout? holdout = null)
    {
        split = SplitCatalog.Canonical(split);
        if (split == "validation" && holdout is null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The validation split of '{Name}' is carved from its training split: give its fraction and seed " +
                "(Import-FedDataset -ValidationFraction 0.1 -ValidationSeed 0; in a config, dataset.validationFraction), " +
                "and the same to the train split so it excludes those samples.", split);
        }

        holdout = holdout?.Validated();

        var missing = Files.Select(f => Path.Combine(Folder, f)).FirstOrDefault(p => !File.Exists(p));
        if (missing is not null)
        {
            throw new FedPSException(FedErrorKind.NotInstalled,
                $"Dataset '{Name}' is not installed: '{missing}' is missing. {SetupHint}", missing);
        }

        if (verify)
        {
            PinnedHashes.Verify(this, Files.Select(PathOf), $"Reinstall it with: Install-FedDataset -Name {Name} -Force");
        }

        try
        {
            if (split == "test" || holdout is null)
            {
                return LoadSplit(split, device);
            }

            var full = LoadSplit("train", device);
            using (full.Features)
            using (full.Labels)
            {
                return full.Carve(holdout, validation: split == "validation");
            }
        }
        catch (FedPSException ex) when (ex.Kind == FedErrorKind.InvalidData)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"{ex.Message} Reinstall it with: Install-FedDataset -Name {Name} -Force", ex.Target, ex);
        }
    }

    protected abstract FedDataset LoadSplit(string split, torch.Device device);

    protected string PathOf(string file) => Path.Combine(Folder, file);
}

/// <summary>MNIST-layout datasets: four IDX files, official train/test split.</summary>
public sealed class IdxDatasetDefinition : DatasetDefinition
{
    private readonly string suffix;

    public IdxDatasetDefinition(string name, string description, PackageSource source, string suffix,
        IReadOnlyList<string> classNames, DatasetShape shape, IReadOnlyDictionary<string, string>? sha256 = null)
        : base(name, description, source, FileNames(suffix), classNames, shape, sha256)
    {
        this.suffix = suffix;
    }

    private static string[] FileNames(string suffix) =>
    [
        "train-images-idx3-ubyte" + suffix, "train-labels-idx1-ubyte" + suffix,
        "t10k-images-idx3-ubyte" + suffix, "t10k-labels-idx1-ubyte" + suffix,
    ];

    protected override FedDataset LoadSplit(string split, torch.Device device)
    {
        var prefix = split == "train" ? "train" : "t10k";
        var imagesPath = PathOf($"{prefix}-images-idx3-ubyte{suffix}");
        var labelsPath = PathOf($"{prefix}-labels-idx1-ubyte{suffix}");
        var images = IdxReader.Read(imagesPath);
        var labels = IdxReader.Read(labelsPath);
        if (images.Dimensions.Length != 3)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"IDX file '{imagesPath}' is not valid: expected 3 dimensions (count, rows, columns), found {images.Dimensions.Length}.", imagesPath);
        }

        if (labels.Dimensions.Length != 1 || labels.Count != images.Count)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"IDX file '{labelsPath}' is not valid: it holds {labels.Count} labels for {images.Count} images.", labelsPath);
        }

        var badLabel = Array.FindIndex(labels.Data, l => l >= ClassNames.Count);
        if (badLabel >= 0)
        {
            throw new FedPSException(FedErrorKind.InvalidData,
                $"IDX file '{labelsPath}' is not valid: label {labels.Data[badLabel]} at index {badLabel} is not a class 0..{ClassNames.Count - 1}.", labelsPath);
        }

        return FedDataset.FromBytes(Name, split, images.Data, labels.Data,
            [1, images.Dimensions[1], images.Dimensions[2]], byte.MaxValue, ClassNames, device);
    }
}

/// <summary>
/// scikit-learn's 8×8 digits (1,797 samples). The file has no official split, so FedPS fixes one that never
/// changes: every fifth sample (index % 5 == 4) is test, the rest train.
/// </summary>
public sealed class DigitsDatasetDefinition : DatasetDefinition
{
    public const string FileName = "digits.csv.gz";

    public DigitsDatasetDefinition(PackageSource source)
        : base("digits", "scikit-learn 8x8 handwritten digits (UCI), 1,797 samples", source, [FileName],
            Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            new DatasetShape([1, 8, 8], Train: 1438, Test: 359), sha256: null)
    {
    }

    public static bool IsTestIndex(int index) => index % 5 == 4;

    protected override FedDataset LoadSplit(string split, torch.Device device)
    {
        var (pixels, labels) = DigitsCsvReader.Read(PathOf(FileName));
        var keep = Enumerable.Range(0, labels.Length).Where(i => IsTestIndex(i) == (split == "test")).ToArray();
        var keptPixels = keep.SelectMany(i => pixels.AsSpan(i * DigitsCsvReader.PixelCount, DigitsCsvReader.PixelCount).ToArray()).ToArray();
        var keptLabels = keep.Select(i => labels[i]).ToArray();
        return FedDataset.FromBytes(Name, split, keptPixels, keptLabels, [1, 8, 8], DigitsCsvReader.MaxPixelValue,
            ClassNames, device);
    }
}
