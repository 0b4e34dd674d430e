using System.Management.Automation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>Uplink compression's options, for New-FedServer -Compression (or the knobs of Compress-FedUpdate).</summary>
[Cmdlet(VerbsCommon.New, "FedCompression")]
[OutputType(typeof(CompressionOptions))]
public sealed class NewFedCompressionCommand : StageOptionsCmdlet<CompressionOptions>
{
    [Parameter(Position = 0)]
    public CompressionMethod Method { get; set; } = Defaults.Method;

    [Parameter]
    public double Ratio { get; set; } = Defaults.Ratio;

    [Parameter]
    public int Levels { get; set; } = Defaults.Levels;

    [Parameter]
    public int BucketSize { get; set; } = Defaults.BucketSize;

    [Parameter]
    public SwitchParameter ErrorFeedback { get; set; }
}
