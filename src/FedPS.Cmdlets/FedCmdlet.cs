using System.Management.Automation;
using FedPS.Core;

namespace FedPS.Cmdlets;

/// <summary>
/// Base of every FedPS cmdlet: runs the cmdlet's work and turns engine errors into proper error records
/// (category, target object, the engine's message) instead of stack traces.
/// </summary>
public abstract class FedCmdlet : PSCmdlet
{
    protected sealed override void BeginProcessing() => Guard(Begin);

    protected sealed override void ProcessRecord() => Guard(Process);

    protected sealed override void EndProcessing() => Guard(End);

    protected virtual void Begin()
    {
    }

    protected virtual void Process()
    {
    }

    protected virtual void End()
    {
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (FedPSException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException or IOException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ex.GetType().Name, ErrorCategory.InvalidOperation, null));
        }
    }

    public static ErrorRecord ToErrorRecord(FedPSException ex) =>
        new(ex, ex.ErrorId, Categorize(ex.Kind), ex.Target);

    public static ErrorCategory Categorize(FedErrorKind kind) => kind switch
    {
        FedErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FedErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        FedErrorKind.InvalidData => ErrorCategory.InvalidData,
        FedErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        FedErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        FedErrorKind.Diverged => ErrorCategory.InvalidResult,
        FedErrorKind.InvalidResult => ErrorCategory.InvalidResult,
        _ => ErrorCategory.InvalidOperation,
    };
}
