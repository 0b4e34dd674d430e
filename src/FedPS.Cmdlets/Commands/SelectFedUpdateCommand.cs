using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Federation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A filter stage over a whole round's updates: drops the updates whose norm is an outlier, by the modified z-score
/// of Iglewicz and Hoaglin (1993), M = 0.6745·(‖Δ‖ − median) / MAD, dropping M &gt; MaxDeviation (3.5 is their
/// rule); and, with -MaxNorm, every update whose norm exceeds it. It needs the round's updates before it can judge
/// one, so it emits the kept updates, in their order, once its input ends.
/// </summary>
[Cmdlet(VerbsCommon.Select, "FedUpdate")]
[OutputType(typeof(ClientUpdate))]
public sealed class SelectFedUpdateCommand : FedCmdlet
{
    private const double ZScale = 0.6745;
    private readonly List<ClientUpdate> updates = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate Update { get; set; } = null!;

    /// <summary>Drop updates whose norm's modified z-score exceeds this (default 3.5).</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0.0, double.MaxValue)]
    public double MaxDeviation { get; set; } = 3.5;

    /// <summary>Also drop every update whose norm exceeds this.</summary>
    [Parameter]
    [ValidateRange(0.0, double.MaxValue)]
    public double? MaxNorm { get; set; }

    protected override void Process() => updates.Add(Update);

    protected override void End()
    {
        if (updates.Count == 0)
        {
            return;
        }

        var norms = updates.Select(u => u.UpdateNorm).ToArray();
        var median = Median(norms);
        var mad = Median(norms.Select(n => Math.Abs(n - median)).ToArray());
        foreach (var update in updates)
        {
            var score = mad > 0 ? ZScale * (update.UpdateNorm - median) / mad : update.UpdateNorm > median ? double.PositiveInfinity : 0;
            var why = update.UpdateNorm > MaxNorm ? FormattableString.Invariant($"its norm {update.UpdateNorm:G4} exceeds -MaxNorm {MaxNorm:G4}")
                : score > MaxDeviation ? FormattableString.Invariant($"its norm {update.UpdateNorm:G4} has a modified z-score of {score:G3} (median {median:G4}, MAD {mad:G4})")
                : null;
            if (why is null)
            {
                WriteObject(update);
            }
            else
            {
                WriteVerbose($"Dropped client {update.ClientId}'s update: {why}.");
            }
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
