using System.Management.Automation;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A transform stage, compression by hand: encodes and decodes each piped update as a server configured with
/// New-FedServer -Compression does (the same stage, the same seeded draws), and emits it carrying its encoded size as
/// BytesUp. Error feedback keeps state across rounds, so it is a server option only.
/// </summary>
[Cmdlet(VerbsData.Compress, "FedUpdate")]
[OutputType(typeof(ClientUpdate))]
public sealed class CompressFedUpdateCommand : StageTransformCmdlet
{
    [Parameter(Position = 0)]
    public CompressionMethod Method { get; set; } = new CompressionOptions().Method;

    [Parameter]
    public double Ratio { get; set; } = new CompressionOptions().Ratio;

    [Parameter]
    public int Levels { get; set; } = new CompressionOptions().Levels;

    [Parameter]
    public int BucketSize { get; set; } = new CompressionOptions().BucketSize;

    protected override RoundStage CreateStage() =>
        new UpdateCompression(new CompressionOptions { Method = Method, Ratio = Ratio, Levels = Levels, BucketSize = BucketSize });

    protected override string Describe(RoundStage stage, ClientUpdate before, ClientUpdate after) => FormattableString.Invariant(
        $"{before.BytesUp:N0} → {after.BytesUp:N0} bytes up ({stage.Describe()}); ‖sent − original‖ = {after.Parameters.DistanceTo(before.Parameters):G4}.");
}
