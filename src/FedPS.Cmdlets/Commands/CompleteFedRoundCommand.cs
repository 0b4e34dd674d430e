using System.Management.Automation;
using FedPS.Cmdlets.Formatting;
using FedPS.Cmdlets.Reporting;
using FedPS.Core;
using FedPS.Core.Federation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// The last stage of a round: hands each piped update to the strategy's aggregation as it arrives (a streaming
/// strategy folds it in at once), then aggregates, evaluates and records the round, emitting its result. Sampled
/// clients whose update did not arrive are reported to the strategy as failures.
/// </summary>
[Cmdlet(VerbsLifecycle.Complete, "FedRound")]
[OutputType(typeof(RoundResult))]
public sealed class CompleteFedRoundCommand : FedCmdlet
{
    private FedRound? round;

    [Parameter(ValueFromPipeline = true)]
    public ClientUpdate[]? Update { get; set; }

    /// <summary>The server whose open round to complete: needed when no update arrives, or for updates built by hand.</summary>
    [Parameter(Position = 0)]
    public FedServer? Server { get; set; }

    /// <summary>Skip the evaluation on the server's test data (TestLoss and TestAccuracy are NaN).</summary>
    [Parameter]
    public SwitchParameter NoEvaluation { get; set; }

    // An update the round refuses is a failure of that update alone: the others are aggregated.
    protected override void Process() => ProcessItems(Update ?? [], update =>
    {
        var target = RoundOf(update);
        target.Accept(update);
        WriteVerbose(FormattableString.Invariant($"Accepted client {update.ClientId}'s update into round {target.Number} (norm {update.UpdateNorm:G4})."));
    });

    protected override void End()
    {
        var target = round ?? Server?.OpenRound ?? throw new FedPSException(FedErrorKind.InvalidOperation,
            Server is null
                ? "No update arrived, so there is no round to complete: pipe updates in, or give -Server."
                : $"{Server.Name} has no open round: start one with Start-FedRound.", Server);
        var result = target.Complete(!NoEvaluation);
        RoundReport.Write(this, result);
        WriteObject(LanguageModelView.Tag(result));
    }

    private FedRound RoundOf(ClientUpdate update)
    {
        var target = update.Round is { } context ? FedRound.Of(context)
            : round ?? Server?.OpenRound ?? throw new FedPSException(FedErrorKind.InvalidOperation,
                $"The update of client {update.ClientId} belongs to no round: give -Server, whose open round it joins.", update);
        if (round is not null && !ReferenceEquals(round, target))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The update of client {update.ClientId} belongs to {target}, but this pipeline completes {round}.", update);
        }

        if (Server is not null && !ReferenceEquals(target.Server, Server))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"The update of client {update.ClientId} belongs to {target}, not to {Server.Name}.", update);
        }

        return round = target;
    }
}
