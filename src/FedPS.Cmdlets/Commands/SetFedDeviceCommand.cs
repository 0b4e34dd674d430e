using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Runtime;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.Set, "FedDevice")]
[OutputType(typeof(FedDevice))]
public sealed class SetFedDeviceCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DeviceNameCompleter))]
    public string Name { get; set; } = "cpu";

    [Parameter]
    [ValidateRange(1, 1024)]
    public int? Threads { get; set; }

    protected override void Process() => ProcessItem(Name, () =>
    {
        var device = FedDevice.Set(Name, Threads);
        WriteVerbose($"New datasets and models go to {device.Name}; torch uses {device.Threads} CPU thread(s).");
        WriteObject(device);
    });
}
