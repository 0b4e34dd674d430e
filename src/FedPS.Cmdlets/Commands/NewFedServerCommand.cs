using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Models;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedServer")]
[OutputType(typeof(FedServer))]
public sealed class NewFedServerCommand : FedCmdlet
{
    private readonly List<FedClient> clients = [];

    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public string Strategy { get; set; } = "FedAvg";

    [Parameter(Mandatory = true)]
    public FedModel Model { get; set; } = null!;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public FedClient[] Client { get; set; } = [];

    /// <summary>Held-out data evaluated after every round; several datasets (e.g. every task's test split) are joined.</summary>
    [Parameter]
    public FedDataset[]? TestData { get; set; }

    /// <summary>Fraction of clients sampled per round (at least one).</summary>
    [Parameter]
    public double SampleFraction { get; set; } = 1.0;

    [Parameter]
    public int Seed { get; set; }

    /// <summary>FedProx's proximal weight μ.</summary>
    [Parameter]
    [ValidateRange(0.0, double.MaxValue)]
    public double Mu { get; set; } = 0.01;

    /// <summary>η of the server step (FedAdam/FedYogi default 1e-2, DONE default 1).</summary>
    [Parameter]
    public double? ServerLearningRate { get; set; }

    /// <summary>FedAdam/FedYogi server moment decay rates (β1, β2).</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    public double[] ServerBetas { get; set; } = [0.9, 0.99];

    /// <summary>FedAdam/FedYogi adaptivity τ.</summary>
    [Parameter]
    public double Tau { get; set; } = 1e-3;

    /// <summary>DONE's Richardson iterations per round (default: the clients' local step budget).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? RichardsonIterations { get; set; }

    /// <summary>DONE's Richardson step α.</summary>
    [Parameter]
    public double RichardsonStep { get; set; } = 0.01;

    /// <summary>FedSophia: start every round from fresh Sophia state instead of each client's carried m, h.</summary>
    [Parameter]
    public SwitchParameter ResetOptimizerState { get; set; }

    /// <summary>Stop the run when a client diverges (default), or drop that client's update and continue.</summary>
    [Parameter]
    public DivergencePolicy OnDivergence { get; set; } = DivergencePolicy.Stop;

    /// <summary>Mira: the strength λ of the pull towards related clients (0 = local-only).</summary>
    [Parameter]
    [ValidateRange(0.0, double.MaxValue)]
    public double Lambda { get; set; } = 0.05;

    /// <summary>Mira: the server step size η.</summary>
    [Parameter]
    public double StepSize { get; set; } = 1.0;

    /// <summary>Mira's task graph: Uniform (default), Matrix (with -AdjacencyMatrix) or TokenSimilarity.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(AdjacencyNameCompleter))]
    public AdjacencyKind Adjacency { get; set; } = AdjacencyKind.Uniform;

    /// <summary>Mira: a K×K weight matrix, rows and columns in client-id order; implies -Adjacency Matrix.</summary>
    [Parameter]
    public double[][]? AdjacencyMatrix { get; set; }

    private StrategyOptions Options => new()
    {
        Mu = Mu,
        ServerLearningRate = ServerLearningRate,
        ServerBeta1 = ServerBetas[0],
        ServerBeta2 = ServerBetas[1],
        Tau = Tau,
        RichardsonIterations = RichardsonIterations,
        RichardsonStep = RichardsonStep,
        ResetOptimizerState = ResetOptimizerState,
        Lambda = Lambda,
        StepSize = StepSize,
        Adjacency = new AdjacencySpec(AdjacencyMatrix is null ? Adjacency : AdjacencyKind.Matrix, AdjacencyMatrix),
    };

    // Fail on a bad name or knob before clients are piped.
    protected override void Begin() => StrategyCatalog.Create(Strategy, Options).Dispose();

    protected override void Process() => clients.AddRange(Client);

    protected override void End()
    {
        var test = TestData is null or { Length: 0 } ? null
            : TestData.Length == 1 ? TestData[0]
            : FedDataset.Concat(string.Join("+", TestData.Select(t => t.Name)), TestData);
        WriteObject(new FedServer(Model, clients, StrategyCatalog.Create(Strategy, Options), test, SampleFraction, Seed, OnDivergence));
    }
}
