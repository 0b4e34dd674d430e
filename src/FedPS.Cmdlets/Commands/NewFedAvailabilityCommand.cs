using System.Management.Automation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>Client availability's options (dropout, an availability trace, a deadline), for New-FedServer -Availability.</summary>
[Cmdlet(VerbsCommon.New, "FedAvailability")]
[OutputType(typeof(AvailabilityOptions))]
public sealed class NewFedAvailabilityCommand : StageOptionsCmdlet<AvailabilityOptions>
{
    [Parameter]
    public double DropoutProbability { get; set; } = Defaults.DropoutProbability;

    [Parameter]
    public string? Trace { get; set; }

    [Parameter]
    public double? Deadline { get; set; }

    [Parameter]
    public double StepTime { get; set; } = Defaults.StepTime;

    [Parameter]
    public double SpeedSpread { get; set; } = Defaults.SpeedSpread;

    [Parameter]
    public double? Bandwidth { get; set; }

    /// <summary>The trace path, resolved against PowerShell's current location (not the process's).</summary>
    protected override object? Convert(string name, object? value) =>
        name == nameof(Trace) && value is string path ? GetUnresolvedProviderPathFromPSPath(path) : value;
}
