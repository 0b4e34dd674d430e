using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Restore, "FedCheckpoint")]
[OutputType(typeof(FedServer))]
public sealed class RestoreFedCheckpointCommand : FedCmdlet
{
    /// <summary>A server built like the one that saved the checkpoint (same model, clients, strategy and seed).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = string.Empty;

    protected override void Process() => ProcessItem(Path, () =>
    {
        var info = Checkpoint.Restore(Server, GetUnresolvedProviderPathFromPSPath(Path));
        WriteVerbose($"Restored round {info.Round} from {info.Path} (SHA-256 {info.Sha256}).");
        WriteObject(Server);
    });
}
