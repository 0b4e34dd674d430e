using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Models;
using FedPS.Core.Optim;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedModel")]
[OutputType(typeof(FedModel))]
public sealed class NewFedModelCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(ArchitectureNameCompleter))]
    public string Architecture { get; set; } = "Mlp";

    /// <summary>One sample's shape; binds from a dataset's Shape when a dataset is piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Shape")]
    public int[] InputShape { get; set; } = [1, 28, 28];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ClassCount")]
    [ValidateRange(2, int.MaxValue)]
    public int Classes { get; set; } = 10;

    /// <summary>Hidden layer widths of the Mlp.</summary>
    [Parameter]
    public int[] Hidden { get; set; } = ModelSpec.DefaultMlpHidden;

    [Parameter]
    public int Seed { get; set; }

    protected override void Process()
    {
        var spec = new ModelSpec(ModelSpec.Canonical(Architecture), InputShape, Classes, Hidden);
        WriteObject(new FedModel(spec, Seed));
    }
}

[Cmdlet(VerbsCommon.New, "FedOptimizer")]
[OutputType(typeof(OptimizerSpec))]
public sealed class NewFedOptimizerCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(OptimizerNameCompleter))]
    public string Name { get; set; } = "Sgd";

    [Parameter]
    public double LearningRate { get; set; } = 0.05;

    [Parameter]
    public double Momentum { get; set; }

    [Parameter]
    public double WeightDecay { get; set; }

    /// <summary>Adam/AdamW moment decay rates (β1, β2).</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    public double[] Betas { get; set; } = [0.9, 0.999];

    [Parameter]
    public double Epsilon { get; set; } = 1e-8;

    protected override void Process() => WriteObject(new OptimizerSpec
    {
        Name = Name,
        LearningRate = LearningRate,
        Momentum = Momentum,
        WeightDecay = WeightDecay,
        Beta1 = Betas[0],
        Beta2 = Betas[1],
        Epsilon = Epsilon,
    }.Validated());
}
