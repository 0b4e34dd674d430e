using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Models;
using FedPS.Core.Simulation;
using FedPS.Core.Optim;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedModel")]
[OutputType(typeof(FedModel))]
public sealed class NewFedModelCommand : LoraModelCmdlet
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

    /// <summary>Gpt: the tokenizer (Byte or Gpt2), which fixes the vocabulary.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(TokenizerNameCompleter))]
    public string Tokenizer { get; set; } = "Byte";

    /// <summary>Gpt: the context length; default the piped data's sequence length, else 64.</summary>
    [Parameter]
    [ValidateRange(1, 8192)]
    public int? ContextLength { get; set; }

    [Parameter]
    [ValidateRange(1, 96)]
    public int Layers { get; set; } = 4;

    [Parameter]
    [ValidateRange(1, 64)]
    public int Heads { get; set; } = 4;

    /// <summary>Gpt: the embedding width (a multiple of -Heads).</summary>
    [Parameter]
    [ValidateRange(1, 8192)]
    public int Embedding { get; set; } = 128;

    protected override void Process()
    {
        var architecture = ModelSpec.Canonical(Architecture);
        var lora = Lora;
        if (architecture == "Gpt")
        {
            var tokenizer = FedPS.Core.Models.Tokenizers.TokenizerCatalog.Get(Tokenizer);
            var context = ContextLength ?? (MyInvocation.BoundParameters.ContainsKey(nameof(InputShape)) && InputShape.Length == 1 ? InputShape[0] : 64);
            var config = new GptConfig(tokenizer.VocabularySize, context, Layers, Heads, Embedding, tokenizer.Name);
            WriteObject(new FedModel(ModelSpec.ForGpt(config, lora), Seed));
            return;
        }

        WriteObject(new FedModel(new ModelSpec(architecture, InputShape, Classes, Hidden) { Lora = lora }, Seed));
    }
}

/// <summary>The LoRA parameters shared by the cmdlets that create a model (New-FedModel, Import-FedModel).</summary>
public abstract class LoraModelCmdlet : FedCmdlet
{
    /// <summary>Add LoRA adapters of this rank and freeze every other weight.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? LoraRank { get; set; }

    [Parameter]
    public double LoraAlpha { get; set; } = 16;

    [Parameter]
    public double LoraDropout { get; set; }

    [Parameter]
    public LoraTargets LoraTargets { get; set; } = LoraTargets.Attention;

    /// <summary>The adapters asked for, validated; null without -LoraRank.</summary>
    protected LoraSpec? Lora => LoraRank is { } rank ? new LoraSpec(rank, LoraAlpha, LoraDropout, LoraTargets).Validated() : null;
}

[Cmdlet(VerbsData.Save, "FedModel", SupportsShouldProcess = true, DefaultParameterSetName = ModelSet)]
[OutputType(typeof(FileInfo))]
public sealed class SaveFedModelCommand : FedCmdlet
{
    private const string ModelSet = "Model";
    private const string ServerSet = "Server";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ModelSet)]
    public FedModel Model { get; set; } = null!;

    /// <summary>Save a server's model: the global one, or with -ClientId that client's own (adapters merged in).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServerSet)]
    public FedServer Server { get; set; } = null!;

    [Parameter(ParameterSetName = ServerSet)]
    public int? ClientId { get; set; }

    /// <summary>The checkpoint folder (model.safetensors + config.json, Hugging Face's GPT-2 layout).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    protected override void Process()
    {
        var model = Model ?? Server.Model;
        var config = model.Spec.Gpt ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Save-FedModel writes GPT checkpoints; a {model.Architecture} model has no GPT-2 layout.", model);
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        var weightsFile = System.IO.Path.Combine(folder, GptCheckpoint.WeightsFile);
        var action = File.Exists(weightsFile) ? "Overwrite the GPT checkpoint" : "Write a GPT checkpoint";
        if (!ShouldProcess(folder, action))
        {
            return;
        }

        var module = Server is null ? model.Module : Server.ModuleFor(ClientId);
        var weights = module.named_parameters().ToDictionary(p => p.name, p => (TorchSharp.torch.Tensor)p.parameter);
        GptCheckpoint.Save(folder, weights, config, model.Spec.Lora);
        WriteObject(new FileInfo(weightsFile));
    }
}

[Cmdlet(VerbsData.Import, "FedModel")]
[OutputType(typeof(FedModel))]
public sealed class ImportFedModelCommand : LoraModelCmdlet
{
    /// <summary>A GPT checkpoint folder (model.safetensors + config.json), e.g. written by Save-FedModel or Hugging Face.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = string.Empty;

    /// <summary>Seeds the fresh LoRA adapters.</summary>
    [Parameter]
    public int Seed { get; set; }

    protected override void Process()
    {
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        if (File.Exists(folder))
        {
            folder = System.IO.Path.GetDirectoryName(folder)!;
        }

        WriteObject(GptCheckpoint.Load(folder, Lora, Seed));
    }
}

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

    protected override void Process()
    {
        var defaults = OptimizerSpec.Defaults(Name);
        if (defaults.Name != "Sophia" && (Rho ?? HessianEvery ?? (object?)Estimator) is not null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"-Rho, -HessianEvery and -Estimator are Sophia's; the {defaults.Name} optimizer has none of them.", Name);
        }

        WriteObject((defaults with
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
        }).Validated());
    }
}
