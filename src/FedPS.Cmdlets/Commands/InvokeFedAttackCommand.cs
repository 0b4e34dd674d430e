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
public sealed class InvokeFedAttackCommand : StageTransformCmdlet
{
    [Parameter(Position = 0)]
    public AttackKind Kind { get; set; } = new AttackOptions().Kind;

    /// <summary>The attacking clients; without it every piped update is forged.</summary>
    [Parameter]
    public int[]? ClientId { get; set; }

    [Parameter]
    public double? Scale { get; set; }

    [Parameter]
    public double NoiseStd { get; set; } = new AttackOptions().NoiseStd;

    protected override RoundStage CreateStage() => Kind == AttackKind.LabelFlip
        ? throw new FedPSException(FedErrorKind.InvalidArgument,
            "Label flipping changes how a client trains, not the update it sends: give it to New-FedServer -Attack or New-FedClient -Attack.", Kind)
        : new ByzantineAttack((AttackOptions)new AttackOptions { Kind = Kind, Scale = Scale, NoiseStd = NoiseStd }.Validated(), []);

    protected override bool Applies(ClientUpdate update) => ClientId is null || ClientId.Contains(update.ClientId);

    protected override string Describe(RoundStage stage, ClientUpdate before, ClientUpdate after) =>
        FormattableString.Invariant($"{stage.Describe()}, update norm {before.UpdateNorm:G4} → {after.UpdateNorm:G4}.");
}
