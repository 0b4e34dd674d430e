using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Save, "FedCheckpoint", SupportsShouldProcess = true)]
[OutputType(typeof(CheckpointInfo))]
public sealed class SaveFedCheckpointCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = string.Empty;

    protected override void Process() => ProcessItem(Path, () =>
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if (ShouldProcess(path, $"Save round {Server.Round} of the server"))
        {
            WriteObject(Checkpoint.Save(Server, path));
        }
    });
}
