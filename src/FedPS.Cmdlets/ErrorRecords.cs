using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text.Json;
using FedPS.Core;

namespace FedPS.Cmdlets;

/// <summary>
/// Turns any exception into the <see cref="ErrorRecord"/> a PowerShell user expects: a category that says what
/// kind of failure it is, the file or value at fault as the target, and a message without libtorch's C++ frames.
/// </summary>
public static class ErrorRecords
{
    private static readonly string[] NativeTraceStarts = ["Exception raised from ", "frame #"];

    /// <summary>
    /// False for what is not a failure of the cmdlet: PowerShell's own control flow (a stopped pipeline,
    /// -ErrorAction Stop escalating a record already written, a downstream command's error) and cancellation.
    /// </summary>
    public static bool IsFailure(Exception ex) => ex is not (RuntimeException or OperationCanceledException);

    public static ErrorRecord From(Exception ex, object? target)
    {
        if (ex is FedPSException fed)
        {
            return new ErrorRecord(fed, fed.ErrorId, Categorize(fed.Kind), fed.Target ?? target);
        }

        var (category, named) = Classify(ex);
        var message = WithoutNativeTrace(ex.Message);
        var exception = message == ex.Message ? ex : new FedPSException(FedErrorKind.InvalidOperation, message, named ?? target);
        return new ErrorRecord(exception, ex.GetType().Name, category, named ?? target);
    }

    public static ErrorCategory Categorize(FedErrorKind kind) => kind switch
    {
        FedErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FedErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        FedErrorKind.InvalidData => ErrorCategory.InvalidData,
        FedErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        FedErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        FedErrorKind.Diverged or FedErrorKind.InvalidResult => ErrorCategory.InvalidResult,
        FedErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FedErrorKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        FedErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>The message up to where libtorch appends its C++ stack ("Exception raised from ...", "frame #0: ...").</summary>
    public static string WithoutNativeTrace(string message)
    {
        var lines = message.Split('\n');
        var end = Array.FindIndex(lines, l => NativeTraceStarts.Any(s => l.TrimStart().StartsWith(s, StringComparison.Ordinal)));
        return end < 0 ? message : string.Join('\n', lines[..end]).TrimEnd();
    }

    private static (ErrorCategory Category, object? Target) Classify(Exception ex) => ex switch
    {
        FileNotFoundException e => (ErrorCategory.ObjectNotFound, e.FileName),
        DirectoryNotFoundException => (ErrorCategory.ObjectNotFound, null),
        UnauthorizedAccessException => (ErrorCategory.PermissionDenied, null),
        PathTooLongException => (ErrorCategory.InvalidArgument, null),
        EndOfStreamException or InvalidDataException or JsonException or FormatException => (ErrorCategory.InvalidData, null),
        IOException => (ErrorCategory.ResourceUnavailable, null),
        ArgumentException => (ErrorCategory.InvalidArgument, null),
        OutOfMemoryException or InsufficientMemoryException => (ErrorCategory.ResourceUnavailable, null),
        NotImplementedException or NotSupportedException => (ErrorCategory.NotImplemented, null),
        ExternalException => (ErrorCategory.InvalidOperation, null),
        _ => (ErrorCategory.InvalidOperation, null),
    };
}
