using System.Management.Automation;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A transform stage: clips each piped update so that ‖update − start‖₂ ≤ MaxNorm (the update is scaled by
/// min(1, MaxNorm/‖Δ‖), DP-FedAvg's clipping, the engine's one <see cref="UpdateClipping"/>), and emits the clipped
/// update. Updates within the bound pass unchanged.
/// </summary>
[Cmdlet(VerbsData.Limit, "FedUpdate")]
[OutputType(typeof(ClientUpdate))]
public sealed class LimitFedUpdateCommand : FedCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate Update { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateRange(0.0, double.MaxValue)]
    public double MaxNorm { get; set; }

    protected override void Process() => ProcessItem(Update, () =>
    {
        var clipped = UpdateClipping.Clip(Update, MaxNorm);
        if (!ReferenceEquals(clipped, Update))
        {
            WriteVerbose(FormattableString.Invariant($"Client {Update.ClientId}: update norm {Update.UpdateNorm:G4} clipped to {MaxNorm:G4}."));
        }
        else
        {
            WriteVerbose(FormattableString.Invariant($"Client {Update.ClientId}: update norm {Update.UpdateNorm:G4} is within {MaxNorm:G4}; passed unchanged."));
        }

        WriteObject(clipped);
    });
}
