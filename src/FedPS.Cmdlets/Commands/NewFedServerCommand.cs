using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsCommon.New, "FedServer")]
[OutputType(typeof(FedServer))]
public sealed class NewFedServerCommand : FedCmdlet
{
    private readonly List<FedClient> clients = [];

    /// <summary>A strategy spec (New-FedStrategy), a strategy name with its default knobs, or a strategy object from a script.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public StrategySpec Strategy { get; set; } = new("FedAvg");

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

    /// <summary>Stop the run when a client diverges (default), or drop that client's update and continue.</summary>
    [Parameter]
    public DivergencePolicy OnDivergence { get; set; } = DivergencePolicy.Stop;

    /// <summary>A name for the server, carried by its round results (default server1, server2, ...).</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Client-level differential privacy (New-FedPrivacy): central DP-FedAvg, or local DP on every client.</summary>
    [Parameter]
    public PrivacyOptions? Privacy { get; set; }

    /// <summary>Uplink compression (New-FedCompression).</summary>
    [Parameter]
    public CompressionOptions? Compression { get; set; }

    /// <summary>Byzantine clients among the server's (New-FedAttack -Fraction/-Count/-Clients).</summary>
    [Parameter]
    public AttackOptions? Attack { get; set; }

    /// <summary>Client availability: dropout, a trace, a deadline (New-FedAvailability).</summary>
    [Parameter]
    public AvailabilityOptions? Availability { get; set; }

    // Fail on a bad spec before clients are piped.
    protected override void Begin() => Strategy = Strategy.Validated();

    protected override void Process() => clients.AddRange(Client);

    protected override void End()
    {
        var test = TestData is null or { Length: 0 } ? null
            : TestData.Length == 1 ? TestData[0]
            : FedDataset.Concat(string.Join("+", TestData.Select(t => t.Name)), TestData);
        StageOptions?[] stages = [Availability, Attack, Privacy, Compression];
        var server = new FedServer(Model, clients, Strategy.Create(), test, SampleFraction, Seed, OnDivergence, Name, stages.OfType<StageOptions>().ToArray());
        foreach (var warning in server.Strategy.Warnings)
        {
            WriteWarning(warning);
        }

        foreach (var stage in server.Stages.All)
        {
            WriteVerbose($"{server.Name} round stage: {stage}.");
        }

        WriteVerbose($"{server.Name}: {Strategy} over {server.Clients.Count} clients " +
                     $"({ClientSampler.Count(server.Clients.Count, SampleFraction)} per round), model {Model}, " +
                     $"{(test is null ? "no test data" : $"test data {test.Name} ({test.Count:N0} samples)")}, seed {Seed}, on divergence {OnDivergence}.");
        WriteObject(server);
    }
}
