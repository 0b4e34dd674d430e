namespace FedPS.Core.Data.Text;

/// <summary>A Debian package whose text files FedPS installs for its text tasks (installed with Install-FedDataset).</summary>
public sealed class TextPackage(string name, string description, PackageSource source, IReadOnlyList<string> files) : IDataPackage
{
    public IReadOnlyDictionary<string, string> Sha256 { get; } = PinnedHashes.For(name);

    public string Name { get; } = name;

    public string Description { get; } = description;

    public PackageSource Source { get; } = source;

    public IReadOnlyList<string> Files { get; } = files;

    public string Folder => DataPaths.For(Name);

    public bool IsInstalled => PackageFiles.AllPresent(this);

    /// <summary>The installed path of one of the package's files.</summary>
    public string PathOf(string file) => Path.Combine(Folder, file);

    public static TextPackage FreeDict(string languages) =>
        new($"dict-freedict-{languages}", $"FreeDict {languages} dictionary (dictd)",
            PackageSource.Debian($"dict-freedict-{languages}", "usr/share/dictd"),
            [$"freedict-{languages}.index", $"freedict-{languages}.dict.dz"]);
}
