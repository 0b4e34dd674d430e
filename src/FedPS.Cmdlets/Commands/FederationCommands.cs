using System.Diagnostics;
using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedClient")]
[OutputType(typeof(FedClient))]
public sealed class NewFedClientCommand : FedCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public FedClientData Data { get; set; } = null!;

    [Parameter]
    public int BatchSize { get; set; } = 32;

    [Parameter]
    public int LocalEpochs { get; set; } = 1;

    /// <summary>An exact number of local steps per round; overrides -LocalEpochs.</summary>
    [Parameter]
    public int? LocalSteps { get; set; }

    /// <summary>The local optimizer (New-FedOptimizer); default SGD with -LearningRate and -Momentum.</summary>
    [Parameter]
    public OptimizerSpec? Optimizer { get; set; }

    [Parameter]
    public double LearningRate { get; set; } = 0.05;

    [Parameter]
    public double Momentum { get; set; }

    protected override void Begin()
    {
        if (Optimizer is not null && (MyInvocation.BoundParameters.ContainsKey(nameof(LearningRate)) ||
                                      MyInvocation.BoundParameters.ContainsKey(nameof(Momentum))))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                "Give either -Optimizer or -LearningRate/-Momentum (which build an SGD optimizer), not both.", Optimizer);
        }
    }

    protected override void Process() => WriteObject(new FedClient(Data, new LocalTrainingSpec
    {
        BatchSize = BatchSize,
        Epochs = LocalEpochs,
        Steps = LocalSteps,
        Optimizer = Optimizer ?? OptimizerSpec.Sgd(LearningRate, Momentum),
    }));
}

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

[Cmdlet(VerbsLifecycle.Invoke, "FedRound")]
[OutputType(typeof(RoundResult))]
public sealed class InvokeFedRoundCommand : FedCmdlet
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource stop = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = 1;

    protected override void Process()
    {
        var first = Server.Round + 1;
        var last = Server.Round + Count;
        var clock = Stopwatch.StartNew();
        var progress = new Progress(this, first, last, clock);
        for (var i = 0; i < Count; i++)
        {
            progress.Round(Server.Round + 1);
            WriteObject(Server.RunRound(progress, stop.Token));
        }

        progress.Complete();
    }

    protected override void StopProcessing() => stop.Cancel();

    /// <summary>Nested Write-Progress: rounds, then the clients of the current round (throttled).</summary>
    private sealed class Progress(InvokeFedRoundCommand cmdlet, int first, int last, Stopwatch clock) : IProgress<RoundProgress>
    {
        private const int RoundsId = 1;
        private const int ClientsId = 2;
        private TimeSpan lastReport = -ProgressInterval;

        public void Round(int round)
        {
            var done = round - first;
            cmdlet.WriteProgress(new ProgressRecord(RoundsId, "Federated rounds", $"Round {round} of {last}")
            {
                PercentComplete = 100 * done / (last - first + 1),
            });
        }

        public void Report(RoundProgress value)
        {
            if (clock.Elapsed - lastReport < ProgressInterval && value.Step != value.Steps)
            {
                return;
            }

            lastReport = clock.Elapsed;
            cmdlet.WriteProgress(new ProgressRecord(ClientsId, $"Round {value.Round}: local training",
                $"Client {value.ClientId} ({value.ClientIndex + 1} of {value.ClientCount}), step {value.Step} of {value.Steps}")
            {
                ParentActivityId = RoundsId,
                PercentComplete = 100 * ((value.ClientIndex * value.Steps) + value.Step) / (value.ClientCount * value.Steps),
            });
        }

        public void Complete()
        {
            cmdlet.WriteProgress(new ProgressRecord(ClientsId, "Local training", "Done") { ParentActivityId = RoundsId, RecordType = ProgressRecordType.Completed });
            cmdlet.WriteProgress(new ProgressRecord(RoundsId, "Federated rounds", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}

[Cmdlet(VerbsDiagnostic.Measure, "FedLoss", DefaultParameterSetName = GlobalSet)]
[OutputType(typeof(LossMeasurement))]
public sealed class MeasureFedLossCommand : FedCmdlet
{
    private const string GlobalSet = "Global";
    private const string ClientSet = "PerClient";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    /// <summary>Data to measure on; default the server's test data (global) or each client's own data (-PerClient).</summary>
    [Parameter]
    public FedDataset? Data { get; set; }

    /// <summary>Measure each client's model (its own under Mira/LocalOnly, else the global one) instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ClientSet)]
    public SwitchParameter PerClient { get; set; }

    [Parameter(ParameterSetName = ClientSet)]
    public int[]? ClientId { get; set; }

    /// <summary>With -PerClient and no -Data: the client's training shard (Train) or its own test data (Test).</summary>
    [Parameter(ParameterSetName = ClientSet)]
    [ValidateSet("Train", "Test")]
    public string Split { get; set; } = "Train";

    protected override void Process()
    {
        if (PerClient)
        {
            var test = string.Equals(Split, "Test", StringComparison.OrdinalIgnoreCase);
            WriteObject(Server.MeasureClients(ClientId, Data, test).ToArray(), enumerateCollection: true);
            return;
        }

        var data = Data ?? Server.TestData ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            "The server has no test data; pass -Data (e.g. Import-FedDataset mnist -Split test) or -PerClient.", Server);
        WriteObject(Server.MeasureGlobal(data));
    }
}
