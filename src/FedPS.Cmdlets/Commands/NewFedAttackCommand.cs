using System.Management.Automation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>A Byzantine attack's options: for New-FedServer -Attack (a seeded share of its clients attack) or New-FedClient -Attack (that client).</summary>
[Cmdlet(VerbsCommon.New, "FedAttack")]
[OutputType(typeof(AttackOptions))]
public sealed class NewFedAttackCommand : StageOptionsCmdlet<AttackOptions>
{
    [Parameter(Position = 0)]
    public AttackKind Kind { get; set; } = Defaults.Kind;

    [Parameter]
    public double Fraction { get; set; } = Defaults.Fraction;

    [Parameter]
    public int? Count { get; set; }

    [Parameter]
    public int[]? Clients { get; set; }

    [Parameter]
    public double? Scale { get; set; }

    [Parameter]
    public double NoiseStd { get; set; } = Defaults.NoiseStd;
}
