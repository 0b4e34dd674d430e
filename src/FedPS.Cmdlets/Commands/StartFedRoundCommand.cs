using System.Management.Automation;
using FedPS.Core.Federation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// The first stage of a round: samples the server's clients for its next round and lets the strategy configure each,
/// emitting one assignment per sampled client for Invoke-FedLocalTraining.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "FedRound")]
[OutputType(typeof(ClientAssignment))]
public sealed class StartFedRoundCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public FedServer Server { get; set; } = null!;

    /// <summary>Abandon the server's open round, if it has one, instead of failing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process() => ProcessItem(Server, () =>
    {
        var round = Server.StartRound(replaceOpen: Force);
        var details = round.Assignments.Select(a => a.Detail).Where(d => d.Length > 0).Distinct().ToArray();
        WriteVerbose($"{Server.Name} round {round.Number}: sampled clients {string.Join(", ", round.Assignments.Select(a => a.ClientId))}; " +
                     $"{Server.Strategy.Name} configured them{(details.Length == 0 ? " for plain local training" : ": " + string.Join("; ", details))}.");
        WriteObject(round.Assignments, enumerateCollection: true);
    });
}
