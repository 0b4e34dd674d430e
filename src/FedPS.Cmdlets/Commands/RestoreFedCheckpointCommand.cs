using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Restore, "FedCheckpoint", DefaultParameterSetName = CheckpointPaths.PipelineSet)]
[OutputType(typeof(FedServer))]
public sealed class RestoreFedCheckpointCommand : FedCmdlet
{
    /// <summary>A server built like the one that saved the checkpoint (same model, clients, strategy and seed).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = CheckpointPaths.PipelineSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CheckpointPaths.ServerFirstSet)]
    public FedServer Server { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CheckpointPaths.PipelineSet)]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = CheckpointPaths.ServerFirstSet)]
    public string Path { get; set; } = string.Empty;

    protected override void Process() => ProcessItem(Path, () =>
    {
        var info = Checkpoint.Restore(Server, GetUnresolvedProviderPathFromPSPath(Path));
        WriteVerbose($"Restored {Server.Name} to round {info.Round} from {info.Path} (SHA-256 {info.Sha256}).");
        WriteObject(Server);
    });
}
