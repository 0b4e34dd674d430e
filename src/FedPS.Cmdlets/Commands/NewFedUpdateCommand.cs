using System.Management.Automation;
using FedPS.Cmdlets.Binding;
using FedPS.Core.Federation;
using FedPS.Core.Models;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A client update built by hand, from plain numbers: for testing and teaching an aggregation rule without a dataset
/// or a model (Merge-FedUpdate), or to add a crafted update to a server's open round (Complete-FedRound -Server).
/// </summary>
[Cmdlet(VerbsCommon.New, "FedUpdate")]
[OutputType(typeof(ClientUpdate))]
public sealed class NewFedUpdateCommand : FedCmdlet
{
    /// <summary>The parameters the client sends: a hashtable of name = number or numbers (e.g. @{ w = 0.2, 0.2 }), or a parameter set.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ParameterSetTransformation]
    public ParameterSet Parameters { get; set; } = null!;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int SampleCount { get; set; } = 1;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int ClientId { get; set; }

    /// <summary>The parameters the client started from, shaped like -Parameters; its update is the difference.</summary>
    [Parameter]
    [ParameterSetTransformation]
    public ParameterSet? Baseline { get; set; }

    [Parameter]
    public double TrainLoss { get; set; } = double.NaN;

    protected override void Process()
    {
        var update = new ClientUpdate(ClientId, SampleCount, Parameters.Clone(), Baseline?.Clone()) { TrainLoss = TrainLoss };
        WriteVerbose(FormattableString.Invariant(
            $"Client {ClientId}: {Parameters.Tensors.Count} tensors, {Parameters.ElementCount} values, {SampleCount} samples, update norm {update.UpdateNorm:G4}."));
        WriteObject(update);
    }
}
