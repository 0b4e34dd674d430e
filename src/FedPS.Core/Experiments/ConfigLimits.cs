namespace FedPS.Core.Experiments;

/// <summary>
/// How large a config may be, checked while it is read, before anything it describes is allocated: a hostile or
/// mistaken file gets a clear error instead of a stack overflow or gigabytes of plan (docs/reliability.md).
/// </summary>
public static class ConfigLimits
{
    /// <summary>Bytes of YAML (a real config is a few hundred).</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Levels of nested sections and lists (a real config uses five at most).</summary>
    public const int MaxDepth = 32;

    /// <summary>Values in the config's tree, counting each use of a YAML alias (so an alias "bomb" is refused).</summary>
    public const int MaxValues = 100_000;

    /// <summary>Runs a sweep may expand to even with -Force.</summary>
    public const long MaxRuns = 100_000;
}
