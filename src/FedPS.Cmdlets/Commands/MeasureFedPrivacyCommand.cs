using System.Management.Automation;
using FedPS.Core.Federation.Stages;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// The Rényi-DP accountant on its own, as researchers use TF Privacy's and Opacus's: ε for a sample rate, noise
/// multiplier, number of rounds and δ; or, given a target ε, the noise multiplier that reaches it.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "FedPrivacy", DefaultParameterSetName = EpsilonSet)]
[OutputType(typeof(PrivacyBudget))]
public sealed class MeasureFedPrivacyCommand : FedCmdlet
{
    private const string EpsilonSet = "Epsilon";
    private const string NoiseSet = "NoiseMultiplier";

    [Parameter(Mandatory = true, Position = 0)]
    public double SampleRate { get; set; }

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = EpsilonSet)]
    public double NoiseMultiplier { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = NoiseSet)]
    public double TargetEpsilon { get; set; }

    [Parameter(Mandatory = true)]
    public long Rounds { get; set; }

    [Parameter]
    public double Delta { get; set; } = 1e-5;

    [Parameter]
    public double[]? Orders { get; set; }

    protected override void Process()
    {
        var budget = ParameterSetName == NoiseSet
            ? PrivacyBudget.ForEpsilon(SampleRate, TargetEpsilon, Rounds, Delta, Orders)
            : PrivacyBudget.ForNoise(SampleRate, NoiseMultiplier, Rounds, Delta, Orders);
        WriteVerbose(FormattableString.Invariant(
            $"{Rounds} rounds of the subsampled Gaussian mechanism, q = {SampleRate}, z = {budget.NoiseMultiplier:G6}: ε = {budget.Epsilon:G6} at δ = {Delta} (best RDP order {budget.Order}; {budget.Conversion})."));
        WriteObject(budget);
    }
}
