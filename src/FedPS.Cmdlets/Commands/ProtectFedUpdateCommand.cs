using System.Management.Automation;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A transform stage, local differential privacy by hand: clips each piped update to -ClipNorm and adds Gaussian noise
/// of standard deviation -NoiseMultiplier × -ClipNorm to every coordinate, as a client configured with
/// New-FedClient -Privacy (New-FedPrivacy Local) does (the same stage, the same seeded draws).
/// </summary>
[Cmdlet(VerbsSecurity.Protect, "FedUpdate")]
[OutputType(typeof(ClientUpdate))]
public sealed class ProtectFedUpdateCommand : StageTransformCmdlet
{
    [Parameter(Position = 0)]
    public double ClipNorm { get; set; } = new PrivacyOptions().ClipNorm;

    [Parameter(Position = 1)]
    public double NoiseMultiplier { get; set; } = new PrivacyOptions().NoiseMultiplier;

    protected override RoundStage CreateStage() =>
        new LocalPrivacy(new PrivacyOptions { Mode = PrivacyMode.Local, ClipNorm = ClipNorm, NoiseMultiplier = NoiseMultiplier });

    protected override string Describe(RoundStage stage, ClientUpdate before, ClientUpdate after) => FormattableString.Invariant(
        $"update norm {before.UpdateNorm:G4} clipped to {Math.Min(before.UpdateNorm, ClipNorm):G4}, noise σ = {NoiseMultiplier * ClipNorm:G4} per coordinate; sent norm {after.UpdateNorm:G4}.");
}
