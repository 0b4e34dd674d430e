using System.Management.Automation;
using FedPS.Cmdlets.Completion;
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

    protected override void Process() => ProcessItem(Architecture, Create);

    private void Create()
    {
        var architecture = ModelSpec.Canonical(Architecture);
        var lora = Lora;
        if (architecture == "Gpt")
        {
            var tokenizer = FedPS.Core.Tokenizers.TokenizerCatalog.Get(Tokenizer);
            var context = ContextLength ?? (MyInvocation.BoundParameters.ContainsKey(nameof(InputShape)) && InputShape.Length == 1 ? InputShape[0] : 64);
            var config = new GptConfig(tokenizer.VocabularySize, context, Layers, Heads, Embedding, tokenizer.Name);
            WriteObject(new FedModel(ModelSpec.ForGpt(config, lora), Seed));
            return;
        }

        WriteObject(new FedModel(new ModelSpec(architecture, InputShape, Classes, Hidden) { Lora = lora }, Seed));
    }
}
