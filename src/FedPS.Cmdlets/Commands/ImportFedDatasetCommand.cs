using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Data;
using FedPS.Core.Runtime;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Import, "FedDataset")]
[OutputType(typeof(FedDataset))]
public sealed class ImportFedDatasetCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DatasetNameCompleter))]
    public string Name { get; set; } = string.Empty;

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SplitNameCompleter))]
    public string Split { get; set; } = "train";

    /// <summary>Check every installed file against the SHA-256 FedPS pins for it before reading.</summary>
    [Parameter]
    public SwitchParameter Verify { get; set; }

    /// <summary>Carve a validation split of this fraction from train (which then excludes it); 0: none.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0.0, 1.0)]
    public double ValidationFraction { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int ValidationSeed { get; set; }

    protected override void Process()
    {
        var holdout = ValidationFraction > 0 ? new ValidationHoldout(ValidationFraction, ValidationSeed) : null;
        ProcessItem(Name, () => Emit(DatasetCatalog.Get(Name).Load(Split.ToLowerInvariant(), FedDevice.Current, Verify, holdout)));
    }

    private void Emit(FedDataset dataset)
    {
        WriteVerbose($"Read {dataset.Name} ({dataset.Split}) from {DataPaths.For(dataset.Name)}{(Verify ? ", every file checked against its pinned SHA-256" : string.Empty)}: " +
                     $"{dataset.Count:N0} samples of {string.Join("×", dataset.Shape)}, {dataset.ClassCount} classes, on {dataset.Device}.");
        WriteObject(dataset);
    }
}
