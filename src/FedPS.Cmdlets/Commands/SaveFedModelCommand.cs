using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Models;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

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

    protected override void Process() => ProcessItem(Path, Save);

    private void Save()
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
