using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Save, "FedCheckpoint", SupportsShouldProcess = true, DefaultParameterSetName = CheckpointPaths.PipelineSet)]
[OutputType(typeof(CheckpointInfo))]
public sealed class SaveFedCheckpointCommand : FedCmdlet
{
    /// <summary>The server to save: piped (<c>$server | Save-FedCheckpoint ./x.safetensors</c>) or first (<c>Save-FedCheckpoint $server ./x.safetensors</c>).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = CheckpointPaths.PipelineSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CheckpointPaths.ServerFirstSet)]
    public FedServer Server { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CheckpointPaths.PipelineSet)]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = CheckpointPaths.ServerFirstSet)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Keep an existing file: refuse instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace the file even when it is read-only.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process() => ProcessItem(Path, () =>
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        OutputFile.Check(path, NoClobber, Force);
        if (ShouldProcess(path, $"{(File.Exists(path) ? "Replace it with" : "Save")} round {Server.Round} of {Server.Name}"))
        {
            OutputFile.Prepare(path, Force);
            var info = Checkpoint.Save(Server, path);
            WriteVerbose($"Saved round {info.Round} of {Server.Name} to {info.Path}: {info.Bytes:N0} bytes, SHA-256 {info.Sha256}.");
            WriteObject(info);
        }
    });
}
