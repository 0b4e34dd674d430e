namespace FedPS.Core;

/// <summary>What kind of failure an engine error is; the cmdlets map it to an ErrorCategory.</summary>
public enum FedErrorKind
{
    InvalidArgument,
    ObjectNotFound,
    InvalidData,
    ResourceUnavailable,
    NotInstalled,
    InvalidOperation,
    Diverged,
    InvalidResult,

    /// <summary>The operating system refused access to a file or folder.</summary>
    PermissionDenied,

    /// <summary>An input is larger or deeper than FedPS accepts (docs/reliability.md lists the limits).</summary>
    LimitExceeded,

    /// <summary>A file to be written exists, and the caller asked to keep it (-NoClobber).</summary>
    ResourceExists,
}

/// <summary>
/// An error the engine raises on purpose: its message is written for the researcher, and
/// <see cref="Target"/> names the object it is about (a file, a client, a dataset name).
/// </summary>
public class FedPSException : Exception
{
    public FedPSException(FedErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Target = target;
    }

    public FedErrorKind Kind { get; }

    public object? Target { get; }

    /// <summary>A stable identifier for the error record (e.g. "InvalidArgument").</summary>
    public virtual string ErrorId => Kind.ToString();
}
