using System.Management.Automation;
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

    /// <summary>The checkpoint folder (model.safetensors + config.json).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Keep an existing checkpoint in the folder: refuse instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace a checkpoint even when its files are read-only.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process() => ProcessItem(Path, Save);

    private void Save()
    {
        var model = Model ?? Server.Model;
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        var weightsFile = System.IO.Path.Combine(folder, ModelCheckpoint.WeightsFile);
        OutputFile.Check(weightsFile, NoClobber, Force);
        var what = Server is null ? $"the {model.Architecture} model" : ClientId is { } id ? $"client {id}'s {model.Architecture} model of {Server.Name}" : $"the global {model.Architecture} model of {Server.Name}";
        if (!ShouldProcess(folder, File.Exists(weightsFile) ? $"Replace the checkpoint with {what}" : $"Write a checkpoint of {what}"))
        {
            return;
        }

        OutputFile.Prepare(weightsFile, Force);
        var module = Server is null ? model.Module : Server.ModuleFor(ClientId);
        var weights = module.named_parameters().ToDictionary(p => p.name, p => (TorchSharp.torch.Tensor)p.parameter);
        ModelCheckpoint.Save(folder, model.Spec, weights);
        WriteVerbose($"Wrote {what} ({model.Spec}) to {folder}: {ModelCheckpoint.WeightsFile} and {ModelCheckpoint.ConfigFile}.");
        WriteObject(new FileInfo(weightsFile));
    }
}
