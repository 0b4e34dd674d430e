using System.Management.Automation;
using FedPS.Core.Runtime;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.Get, "FedDevice")]
[OutputType(typeof(FedDevice))]
public sealed class GetFedDeviceCommand : FedCmdlet
{
    protected override void End() => WriteObject(FedDevice.Get());
}
