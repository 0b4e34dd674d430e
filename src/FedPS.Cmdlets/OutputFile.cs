using FedPS.Core;

namespace FedPS.Cmdlets;

/// <summary>
/// PowerShell's convention for a cmdlet that writes a file (Export-Csv's, Out-File's): an existing file is replaced,
/// unless -NoClobber asks to keep it; a read-only file is replaced only with -Force. Every FedPS writer follows it.
/// </summary>
internal static class OutputFile
{
    /// <summary>Refuses, before anything is written (also under -WhatIf), a write the switches forbid.</summary>
    public static void Check(string path, bool noClobber, bool force)
    {
        if (!File.Exists(path))
        {
            return;
        }

        if (noClobber)
        {
            throw new FedPSException(FedErrorKind.ResourceExists,
                $"'{path}' exists, and -NoClobber keeps it. Give another -Path, or leave out -NoClobber to replace it.", path);
        }

        if (IsReadOnly(path) && !force)
        {
            throw new FedPSException(FedErrorKind.PermissionDenied, $"'{path}' is read-only; add -Force to replace it.", path);
        }
    }

    /// <summary>Once the write is confirmed: with -Force, a read-only file is made writable so that it can be replaced.</summary>
    public static void Prepare(string path, bool force)
    {
        if (!force || !File.Exists(path) || !IsReadOnly(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, File.GetAttributes(path) & ~FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
        }
    }

    private static bool IsReadOnly(string path) =>
        OperatingSystem.IsWindows()
            ? File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly)
            : (File.GetUnixFileMode(path) & UnixFileMode.UserWrite) == 0;
}
