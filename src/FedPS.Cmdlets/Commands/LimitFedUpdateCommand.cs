using System.Management.Automation;
using FedPS.Core.Federation;
using static TorchSharp.torch;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A transform stage: clips each piped update so that ‖update − start‖₂ ≤ MaxNorm (the update is scaled by
/// min(1, MaxNorm/‖Δ‖), as in DP-FedAvg's clipping), and emits the clipped update. Updates within the bound pass unchanged.
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

    protected override void Process()
    {
        var norm = Update.UpdateNorm;
        if (norm <= MaxNorm)
        {
            WriteObject(Update);
            return;
        }

        var scale = MaxNorm / norm;
        using var delta = Update.Delta();
        var clipped = Update.Baseline is null
            ? delta.Map((_, d) => d.mul(scale))
            : Update.Baseline.Map((name, start) => start.add(delta[name], scale));
        WriteVerbose(FormattableString.Invariant($"Client {Update.ClientId}: update norm {norm:G4} clipped to {MaxNorm:G4}."));
        WriteObject(Update.WithParameters(clipped));
    }
}
