using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Data;
using FedPS.Core.Data.Packages;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsLifecycle.Install, "FedDataset", SupportsShouldProcess = true)]
[OutputType(typeof(DatasetInstallation))]
public sealed class InstallFedDatasetCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InstallableNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Download and replace the files even when they are already installed.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        var installer = new DataInstaller(message => WriteVerbose(message));
        ProcessItems(Name, name =>
        {
            var dataset = DataCatalog.Get(name);
            var replacing = dataset.IsInstalled && Force;
            if (dataset.IsInstalled && !Force)
            {
                WriteVerbose($"{dataset.Name} is installed in {dataset.Folder}; nothing to do (-Force reinstalls it).");
                WriteObject(installer.Install(dataset));
                return;
            }

            var action = replacing ? "Replace the installed files" : $"Install from {dataset.Source}";
            if (ShouldProcess(dataset.Folder, action))
            {
                var installed = installer.Install(dataset, force: Force);
                WriteVerbose($"Installed {installed.Name} from {installed.Source} into {installed.Folder} ({installed.Bytes / 1e6:N1} MB), every file checked against its pinned SHA-256.");
                WriteObject(installed);
            }
        });
    }
}
