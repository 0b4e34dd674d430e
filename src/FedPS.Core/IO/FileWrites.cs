namespace FedPS.Core.IO;

/// <summary>
/// How FedPS writes files: whole or not at all (a temporary file beside the destination, renamed over it when
/// complete), and with errors that name the destination the user gave, never the temporary file, and say what
/// kind of failure it was (access denied, a missing folder, a full disk).
/// </summary>
public static class FileWrites
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which writes the temporary file it is given.</summary>
    public static void Replace(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"Cannot write '{path}': the folder '{folder}' does not exist.", path);
        }

        if (Directory.Exists(full))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Cannot write '{path}': it is a folder.", path);
        }

        var temp = $"{full}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        Guard(path, () =>
        {
            try
            {
                write(temp);
                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        });
    }

    /// <summary>Runs a file-system action on <paramref name="path"/>, turning the operating system's refusals into errors that name it.</summary>
    public static void Guard(string path, Action action)
    {
        try
        {
            action();
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new FedPSException(FedErrorKind.PermissionDenied,
                $"Cannot write '{path}': access is denied (check the permissions of the file and its folder).", path, ex);
        }
        catch (IOException ex)
        {
            throw new FedPSException(FedErrorKind.ResourceUnavailable, $"Cannot write '{path}': {ex.Message}", path, ex);
        }
    }
}
