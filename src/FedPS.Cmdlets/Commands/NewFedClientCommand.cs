using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;
using FedPS.Core.Optim;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedClient")]
[OutputType(typeof(FedClient))]
public sealed class NewFedClientCommand : FedCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public FedClientData Data { get; set; } = null!;

    [Parameter]
    public int BatchSize { get; set; } = 32;

    [Parameter]
    public int LocalEpochs { get; set; } = 1;

    /// <summary>An exact number of local steps per round; overrides -LocalEpochs.</summary>
    [Parameter]
    public int? LocalSteps { get; set; }

    /// <summary>The local optimizer (New-FedOptimizer); default SGD with -LearningRate and -Momentum.</summary>
    [Parameter]
    public OptimizerSpec? Optimizer { get; set; }

    [Parameter]
    public double LearningRate { get; set; } = 0.05;

    [Parameter]
    public double Momentum { get; set; }

    /// <summary>Make the client a Byzantine attacker (New-FedAttack, without -Fraction, -Count or -Clients).</summary>
    [Parameter]
    public AttackOptions? Attack { get; set; }

    /// <summary>Local differential privacy on the client's own updates (New-FedPrivacy Local).</summary>
    [Parameter]
    public PrivacyOptions? Privacy { get; set; }

    /// <summary>Clip the gradient's global L2 norm to this before every optimizer step (torch's clip_grad_norm_).</summary>
    [Parameter]
    public double? MaxGradientNorm { get; set; }

    private StageOptions[] OwnOptions => new StageOptions?[] { Attack, Privacy }.OfType<StageOptions>().ToArray();

    protected override void Begin()
    {
        if (Optimizer is not null && (MyInvocation.BoundParameters.ContainsKey(nameof(LearningRate)) ||
                                      MyInvocation.BoundParameters.ContainsKey(nameof(Momentum))))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "Give either -Optimizer or -LearningRate/-Momentum (which build an SGD optimizer), not both.", Optimizer);
        }

        FedClient.OwnStages(OwnOptions); // a server option given here fails once, before any client is made
    }

    protected override void Process() => ProcessItem(Data, () =>
    {
        var client = new FedClient(Data, new LocalTrainingSpec
        {
            BatchSize = BatchSize,
            Epochs = LocalEpochs,
            Steps = LocalSteps,
            Optimizer = Optimizer ?? OptimizerSpec.Sgd(LearningRate, Momentum),
            MaxGradientNorm = MaxGradientNorm,
        }, OwnOptions);
        WriteVerbose(client.Stages.Count > 0
            ? $"New {client}; its own stages: {string.Join("; ", client.Stages.Select(s => $"{s.GetType().Name} ({s})"))}."
            : $"New {client}.");
        WriteObject(client);
    });
}
