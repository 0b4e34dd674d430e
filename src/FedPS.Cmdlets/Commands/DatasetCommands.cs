using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Runtime;

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
        foreach (var name in Name)
        {
            var dataset = DataCatalog.Get(name);
            var replacing = dataset.IsInstalled && Force;
            if (dataset.IsInstalled && !Force)
            {
                WriteObject(installer.Install(dataset));
                continue;
            }

            var action = replacing ? "Replace the installed files" : $"Install from {dataset.Source}";
            if (ShouldProcess(dataset.Folder, action))
            {
                WriteObject(installer.Install(dataset, force: Force));
            }
        }
    }
}

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

    protected override void Process() =>
        WriteObject(DatasetCatalog.Get(Name).Load(Split.ToLowerInvariant(), FedDevice.Current));
}

[Cmdlet(VerbsCommon.Split, "FedDataset", DefaultParameterSetName = IidSet)]
[OutputType(typeof(FedClientData))]
public sealed class SplitFedDatasetCommand : FedCmdlet
{
    private const string IidSet = "Iid";
    private const string DirichletSet = "Dirichlet";
    private const string ShardsSet = "Shards";
    private const string ByTaskSet = "ByTask";
    private readonly List<(FedDataset Train, FedDataset? Test)> tasks = [];

    /// <summary>The data to split; a text task piped in binds its Train dataset (and its Test to -TestData).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Train")]
    public FedDataset InputObject { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IidSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DirichletSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ShardsSet)]
    [ValidateRange(1, int.MaxValue)]
    public int Clients { get; set; }

    /// <summary>One client per piped dataset (each a task), ids in pipeline order.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByTaskSet)]
    public SwitchParameter ByTask { get; set; }

    /// <summary>With -ByTask: split each task's data IID among this many clients.</summary>
    [Parameter(ParameterSetName = ByTaskSet)]
    [ValidateRange(1, int.MaxValue)]
    public int ClientsPerTask { get; set; } = 1;

    /// <summary>With -ByTask: the task's held-out data, kept by its clients for their local test loss.</summary>
    [Parameter(ParameterSetName = ByTaskSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Test")]
    public FedDataset? TestData { get; set; }

    [Parameter(ParameterSetName = IidSet)]
    public SwitchParameter Iid { get; set; }

    /// <summary>Label skew: per class, client shares ~ Dirichlet(α). Smaller is more skewed.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DirichletSet)]
    public double Dirichlet { get; set; }

    /// <summary>Label shards per client (McMahan et al.'s pathological non-IID split).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ShardsSet)]
    public int Shards { get; set; }

    [Parameter]
    public int Seed { get; set; }

    protected override void Process()
    {
        if (ByTask)
        {
            tasks.Add((InputObject, TestData));
            return;
        }

        IPartitioner partitioner = ParameterSetName switch
        {
            DirichletSet => new DirichletPartitioner(Dirichlet),
            ShardsSet => new ShardPartitioner(Shards),
            _ => new IidPartitioner(),
        };
        WriteObject(FedClientData.Split(InputObject, partitioner, Clients, Seed), enumerateCollection: true);
    }

    protected override void End()
    {
        if (ByTask)
        {
            WriteObject(FedClientData.ByTask(tasks, ClientsPerTask, Seed), enumerateCollection: true);
        }
    }
}
