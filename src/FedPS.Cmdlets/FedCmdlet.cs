using System.Management.Automation;

namespace FedPS.Cmdlets;

/// <summary>
/// Base of every FedPS cmdlet. Whatever fails inside a cmdlet leaves it as an <see cref="ErrorRecord"/> made by
/// <see cref="ErrorRecords"/> (a category, the file or value at fault, no native frames): a failure of the whole
/// command terminates it, and a failure of one pipeline item, run through <see cref="ProcessItem"/>, is a
/// non-terminating error, so the other items go on and -ErrorAction decides what the caller sees.
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

    /// <summary>Runs the work for one item; its failure is written as a non-terminating error about <paramref name="target"/>.</summary>
    protected void ProcessItem(object? target, Action work)
    {
        try
        {
            work();
        }
        catch (Exception ex) when (ErrorRecords.IsFailure(ex))
        {
            WriteError(ErrorRecords.From(ex, target));
        }
    }

    /// <summary>Runs <paramref name="work"/> for each item, each through <see cref="ProcessItem"/>.</summary>
    protected void ProcessItems<T>(IEnumerable<T> items, Action<T> work)
    {
        foreach (var item in items)
        {
            ProcessItem(item, () => work(item));
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ErrorRecords.IsFailure(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, null));
        }
    }
}
