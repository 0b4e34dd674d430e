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
public sealed class ProtectFedUpdateCommand : FedCmdlet
{
    private LocalPrivacy? stage;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate Update { get; set; } = null!;

    [Parameter(Position = 0)]
    public double ClipNorm { get; set; } = new PrivacyOptions().ClipNorm;

    [Parameter(Position = 1)]
    public double NoiseMultiplier { get; set; } = new PrivacyOptions().NoiseMultiplier;

    /// <summary>The seed of an update built by hand (a trained update draws from its round's seed).</summary>
    [Parameter]
    public int Seed { get; set; }

    protected override void Begin() =>
        stage = new LocalPrivacy(new PrivacyOptions { Mode = PrivacyMode.Local, ClipNorm = ClipNorm, NoiseMultiplier = NoiseMultiplier });

    protected override void Process()
    {
        var sent = stage!.Transform(Update, Update.Round?.Seed ?? Seed, Update.RoundNumber ?? 0);
        WriteVerbose(FormattableString.Invariant(
            $"Client {Update.ClientId}: update norm {Update.UpdateNorm:G4} clipped to {Math.Min(Update.UpdateNorm, ClipNorm):G4}, noise σ = {NoiseMultiplier * ClipNorm:G4} per coordinate; sent norm {sent.UpdateNorm:G4}."));
        WriteObject(sent);
    }

    protected override void End() => stage?.Dispose();
}
