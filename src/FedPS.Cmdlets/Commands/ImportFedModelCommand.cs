using System.Management.Automation;
using FedPS.Core.Models;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Import, "FedModel")]
[OutputType(typeof(FedModel))]
public sealed class ImportFedModelCommand : LoraModelCmdlet
{
    /// <summary>A checkpoint folder (model.safetensors + config.json), e.g. written by Save-FedModel or Hugging Face.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = string.Empty;

    /// <summary>Seeds the fresh LoRA adapters.</summary>
    [Parameter]
    public int Seed { get; set; }

    protected override void Process() => ProcessItem(Path, Import);

    private void Import()
    {
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        if (File.Exists(folder))
        {
            folder = System.IO.Path.GetDirectoryName(folder)!;
        }

        var model = ModelCheckpoint.Load(folder, Lora, Seed);
        WriteVerbose($"Read {model.Spec} from {folder}: {model.ParameterCount:N0} parameters ({model.TrainableParameterCount:N0} trainable), on {model.Device}.");
        WriteObject(model);
    }
}
