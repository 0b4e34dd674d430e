using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Federation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// The cmdlets that make a round stage's options (New-FedPrivacy, New-FedCompression, New-FedAttack,
/// New-FedAvailability): each declares the record's knobs as parameters (defaults read from the record itself); every
/// parameter given sets the knob of the same name, and the record validates itself — one source of defaults and
/// ranges for cmdlets and YAML alike.
/// </summary>
public abstract class StageOptionsCmdlet<TOptions> : FedCmdlet
    where TOptions : StageOptions, new()
{
    /// <summary>The record's defaults, which the parameters start from.</summary>
    protected static TOptions Defaults { get; } = new();

    protected override void Process()
    {
        var options = new TOptions();
        var knobs = OptionsRecord.Knobs(typeof(TOptions)).ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in MyInvocation.BoundParameters)
        {
            if (knobs.TryGetValue(name, out var knob))
            {
                knob.SetValue(options, Convert(name, value is SwitchParameter flag ? flag.IsPresent : value));
            }
        }

        var valid = (TOptions)options.Validated();
        WriteVerbose($"{typeof(TOptions).Name}: {valid}{(valid.IsClientOption ? " (a server option, or a client's own)" : " (a server option)")}.");
        WriteObject(valid);
    }

    /// <summary>A parameter's value as its knob takes it (e.g. a path resolved against the current location).</summary>
    protected virtual object? Convert(string name, object? value) => value;
}
