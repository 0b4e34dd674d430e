using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Models;

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
    public int[]? InputShape { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ClassCount")]
    [ValidateRange(2, int.MaxValue)]
    public int? Classes { get; set; }

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

    protected override void Process() => ProcessItem(Architecture, Create);

    private void Create()
    {
        var architecture = ModelSpec.Canonical(Architecture);
        var lora = Lora;
        if (architecture == "Gpt")
        {
            var tokenizer = FedPS.Core.Tokenizers.TokenizerCatalog.Get(Tokenizer);
            var context = ContextLength ?? (InputShape is { Length: 1 } ? InputShape[0] : 64);
            var config = new GptConfig(tokenizer.VocabularySize, context, Layers, Heads, Embedding, tokenizer.Name);
            Emit(new FedModel(ModelSpec.ForGpt(config, lora), Seed));
            return;
        }

        // The data decides the shape: a guess (MNIST's 1×28×28) would build a model that fails on the first batch.
        if (InputShape is null || Classes is null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"New-FedModel needs the data's sample shape and class count to build a {architecture}: pipe the dataset in " +
                $"(Import-FedDataset digits | New-FedModel {architecture}), or give -InputShape and -Classes (e.g. -InputShape 1, 28, 28 -Classes 10).",
                architecture);
        }

        Emit(new FedModel(new ModelSpec(architecture, InputShape, Classes.Value, Hidden) { Lora = lora }, Seed));
    }

    private void Emit(FedModel model)
    {
        WriteVerbose($"{model.Spec}: {model.ParameterCount:N0} parameters ({model.TrainableParameterCount:N0} trainable), initialised with seed {model.Seed} on {model.Device}.");
        WriteObject(model);
    }
}
