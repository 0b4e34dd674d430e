using System.Management.Automation;
using FedPS.Core.Experiments;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Export, "FedResult", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFedResultCommand : FedCmdlet
{
    private readonly List<FedRun> runs = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Runs")]
    public FedRun[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "Database")]
    public string Database { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Csv or Json; by default from the file extension.</summary>
    [Parameter]
    [ValidateSet("Csv", "Json")]
    public string? Format { get; set; }

    protected override void Process() => runs.AddRange(InputObject);

    protected override void End()
    {
        if (ParameterSetName == "Database")
        {
            runs.AddRange(ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns());
        }

        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var format = Format ?? (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "Json" : "Csv");
        if (ShouldProcess(path, $"Write {runs.Count} run(s) as {format}"))
        {
            ResultExport.Write(runs, path, format);
            WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true); // with PSPath, so it pipes into Get-Content
        }
    }
}
