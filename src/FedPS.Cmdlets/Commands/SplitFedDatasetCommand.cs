using System.Management.Automation;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;

namespace FedPS.Cmdlets.Commands;

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

        ProcessItem(InputObject, () =>
        {
            IPartitioner partitioner = ParameterSetName switch
            {
                DirichletSet => new DirichletPartitioner(Dirichlet),
                ShardsSet => new ShardPartitioner(Shards),
                _ => new IidPartitioner(),
            };
            Emit(FedClientData.Split(InputObject, partitioner, Clients, Seed), $"{InputObject} into {Clients} clients");
        });
    }

    private void Emit(IReadOnlyList<FedClientData> clients, string what)
    {
        WriteVerbose($"Split {what} ({clients[0].Partition}, seed {Seed}): {clients.Min(c => c.Count):N0} to {clients.Max(c => c.Count):N0} samples per client.");
        WriteObject(clients, enumerateCollection: true);
    }

    protected override void End()
    {
        if (ByTask)
        {
            Emit(FedClientData.ByTask(tasks, ClientsPerTask, Seed), $"{tasks.Count} tasks into {ClientsPerTask} client(s) each");
        }
    }
}
