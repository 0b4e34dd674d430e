using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Optim;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedOptimizer")]
[OutputType(typeof(OptimizerSpec))]
public sealed class NewFedOptimizerCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(OptimizerNameCompleter))]
    public string Name { get; set; } = "Sgd";

    /// <summary>Default: the optimizer's own (Sgd 0.05, Adam/AdamW/Sophia 1e-3).</summary>
    [Parameter]
    public double? LearningRate { get; set; }

    [Parameter]
    public double Momentum { get; set; }

    /// <summary>Default: 0, or Sophia's decoupled 0.1.</summary>
    [Parameter]
    public double? WeightDecay { get; set; }

    /// <summary>Moment decay rates (β1, β2); default Adam's (0.9, 0.999), Sophia's (0.965, 0.99).</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    public double[]? Betas { get; set; }

    /// <summary>Default: 1e-8, or Sophia's 1e-15.</summary>
    [Parameter]
    public double? Epsilon { get; set; }

    /// <summary>Sophia's ρ.</summary>
    [Parameter]
    public double? Rho { get; set; }

    /// <summary>Sophia's k: local steps between curvature refreshes.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? HessianEvery { get; set; }

    /// <summary>Sophia's Hessian-diagonal estimator.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(HessianEstimatorNameCompleter))]
    public string? Estimator { get; set; }

    protected override void Process() => ProcessItem(Name, Create);

    private void Create()
    {
        var defaults = OptimizerSpec.Defaults(Name);
        if (defaults.Name != "Sophia" && (Rho ?? HessianEvery ?? (object?)Estimator) is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"-Rho, -HessianEvery and -Estimator are Sophia's; the {defaults.Name} optimizer has none of them.", Name);
        }

        var optimizer = (defaults with
        {
            LearningRate = LearningRate ?? defaults.LearningRate,
            Momentum = Momentum,
            WeightDecay = WeightDecay ?? defaults.WeightDecay,
            Beta1 = Betas?[0] ?? defaults.Beta1,
            Beta2 = Betas?[1] ?? defaults.Beta2,
            Epsilon = Epsilon ?? defaults.Epsilon,
            Rho = Rho ?? defaults.Rho,
            HessianEvery = HessianEvery ?? defaults.HessianEvery,
            Estimator = Estimator ?? defaults.Estimator,
        }).Validated();
        WriteVerbose($"Local optimizer {optimizer}.");
        WriteObject(optimizer);
    }
}
