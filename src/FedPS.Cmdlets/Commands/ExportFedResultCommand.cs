using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Experiments;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Export, "FedResult", SupportsShouldProcess = true, DefaultParameterSetName = ObjectsSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFedResultCommand : FedCmdlet
{
    private const string ObjectsSet = "Objects";
    private const string DatabaseSet = "Database";
    private readonly List<FedRun> runs = [];
    private readonly List<RoundResult> rounds = [];

    /// <summary>Runs (Get-FedRun, Invoke-FedExperiment) or round results (Invoke-FedRound, <c>$server.History</c>).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    public PSObject[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = DatabaseSet)]
    public string Database { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Csv or Json; by default from the file extension.</summary>
    [Parameter]
    [ValidateSet("Csv", "Json")]
    public string? Format { get; set; }

    /// <summary>Keep an existing file: refuse instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace the file even when it is read-only.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process() => ProcessItems(InputObject, item =>
    {
        switch (item.BaseObject)
        {
            case FedRun run:
                runs.Add(run);
                break;
            case RoundResult round:
                rounds.Add(round);
                break;
            default:
                throw new FedPSException(FedErrorKind.InvalidArgument,
                    $"Export-FedResult writes runs (Get-FedRun, Invoke-FedExperiment) and round results (Invoke-FedRound, $server.History), not {item.BaseObject.GetType().Name}.",
                    item);
        }
    });

    protected override void End()
    {
        if (ParameterSetName == DatabaseSet)
        {
            runs.AddRange(ResultsStore.OpenExisting(GetUnresolvedProviderPathFromPSPath(Database)).GetRuns());
        }

        if (runs.Count > 0 && rounds.Count > 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "Export-FedResult got both runs and round results: their rows have different columns. Export them to separate files.", Path);
        }

        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var format = Format ?? (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "Json" : "Csv");
        OutputFile.Check(path, NoClobber, Force);
        var what = rounds.Count > 0
            ? $"{rounds.Count} round result(s) of {string.Join(", ", rounds.Select(r => r.Server).Distinct())}"
            : $"{runs.Count} run(s) ({runs.Sum(r => r.Rounds.Count)} rounds)";
        if (ShouldProcess(path, $"Write {what} as {format}"))
        {
            OutputFile.Prepare(path, Force);
            if (rounds.Count > 0)
            {
                ResultExport.Write(rounds, path, format);
            }
            else
            {
                ResultExport.Write(runs, path, format);
            }

            WriteVerbose($"Wrote {what} as {format} to {path}.");
            WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true); // with PSPath, so it pipes into Get-Content
        }
    }
}
