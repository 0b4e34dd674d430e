using System.Management.Automation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>Client-level differential privacy's options: central (DP-FedAvg, New-FedServer -Privacy) or local (New-FedClient -Privacy).</summary>
[Cmdlet(VerbsCommon.New, "FedPrivacy")]
[OutputType(typeof(PrivacyOptions))]
public sealed class NewFedPrivacyCommand : StageOptionsCmdlet<PrivacyOptions>
{
    [Parameter(Position = 0)]
    public PrivacyMode Mode { get; set; } = Defaults.Mode;

    [Parameter]
    public double ClipNorm { get; set; } = Defaults.ClipNorm;

    [Parameter]
    public double NoiseMultiplier { get; set; } = Defaults.NoiseMultiplier;

    [Parameter]
    public double TargetDelta { get; set; } = Defaults.TargetDelta;

    [Parameter]
    public SwitchParameter AdaptiveClip { get; set; }

    [Parameter]
    public double TargetQuantile { get; set; } = Defaults.TargetQuantile;

    [Parameter]
    public double ClipLearningRate { get; set; } = Defaults.ClipLearningRate;

    [Parameter]
    public double? ClippedCountStddev { get; set; }
}
