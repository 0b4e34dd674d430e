using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A transform stage, a Byzantine attack by hand: forges the piped updates of the clients in -ClientId (all, without it)
/// as a server configured with New-FedServer -Attack does (the same stage, the same seeded draws), and passes the others
/// unchanged. Label flipping changes training, not the update: configure it on the server or the client.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "FedAttack")]
[OutputType(typeof(ClientUpdate))]
public sealed class InvokeFedAttackCommand : FedCmdlet
{
    private ByzantineAttack? stage;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate Update { get; set; } = null!;

    [Parameter(Position = 0)]
    public AttackKind Kind { get; set; } = new AttackOptions().Kind;

    /// <summary>The attacking clients; without it every piped update is forged.</summary>
    [Parameter]
    public int[]? ClientId { get; set; }

    [Parameter]
    public double? Scale { get; set; }

    [Parameter]
    public double NoiseStd { get; set; } = new AttackOptions().NoiseStd;

    /// <summary>The seed of an update built by hand (a trained update draws from its round's seed).</summary>
    [Parameter]
    public int Seed { get; set; }

    protected override void Begin()
    {
        if (Kind == AttackKind.LabelFlip)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "Label flipping changes how a client trains, not the update it sends: give it to New-FedServer -Attack or New-FedClient -Attack.", Kind);
        }

        stage = new ByzantineAttack((AttackOptions)new AttackOptions { Kind = Kind, Scale = Scale, NoiseStd = NoiseStd }.Validated(), []);
    }

    protected override void Process()
    {
        if (ClientId is { } attackers && !attackers.Contains(Update.ClientId))
        {
            WriteObject(Update);
            return;
        }

        var forged = stage!.Transform(Update, Update.Round?.Seed ?? Seed, Update.RoundNumber ?? 0);
        WriteVerbose(FormattableString.Invariant($"Client {Update.ClientId}: {stage.Describe()}, update norm {Update.UpdateNorm:G4} → {forged.UpdateNorm:G4}."));
        WriteObject(forged);
    }

    protected override void End() => stage?.Dispose();
}
