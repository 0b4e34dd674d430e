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
public sealed class CompressFedUpdateCommand : FedCmdlet
{
    private UpdateCompression? stage;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate Update { get; set; } = null!;

    [Parameter(Position = 0)]
    public CompressionMethod Method { get; set; } = new CompressionOptions().Method;

    [Parameter]
    public double Ratio { get; set; } = new CompressionOptions().Ratio;

    [Parameter]
    public int Levels { get; set; } = new CompressionOptions().Levels;

    [Parameter]
    public int BucketSize { get; set; } = new CompressionOptions().BucketSize;

    /// <summary>The seed of an update built by hand (a trained update draws from its round's seed).</summary>
    [Parameter]
    public int Seed { get; set; }

    protected override void Begin() =>
        stage = new UpdateCompression(new CompressionOptions { Method = Method, Ratio = Ratio, Levels = Levels, BucketSize = BucketSize });

    protected override void Process()
    {
        var sent = stage!.Transform(Update, Update.Round?.Seed ?? Seed, Update.RoundNumber ?? 0);
        WriteVerbose(FormattableString.Invariant(
            $"Client {Update.ClientId}: {Update.BytesUp:N0} → {sent.BytesUp:N0} bytes up ({stage.Describe()}); ‖sent − original‖ = {sent.Parameters.DistanceTo(Update.Parameters):G4}."));
        WriteObject(sent);
    }

    protected override void End() => stage?.Dispose();
}
