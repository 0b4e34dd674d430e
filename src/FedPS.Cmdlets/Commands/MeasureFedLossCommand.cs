using System.Management.Automation;
using FedPS.Cmdlets.Formatting;
using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

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

    protected override void Process() => ProcessItem(Server, Measure);

    private void Measure()
    {
        if (PerClient)
        {
            var test = string.Equals(Split, "Test", StringComparison.OrdinalIgnoreCase);
            var measured = Server.MeasureClients(ClientId, Data, test).ToArray();
            WriteVerbose($"Measured {measured.Length} client model(s) of {Server.Name} after round {Server.Round}, each on {(Data is null ? $"its own {(test ? "test" : "training")} data" : Data.ToString())}.");
            foreach (var measurement in measured)
            {
                WriteObject(LanguageModelView.Tag(measurement));
            }

            return;
        }

        var data = Data ?? Server.TestData ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            "The server has no test data; pass -Data (e.g. Import-FedDataset mnist -Split test) or -PerClient.", Server);
        var global = Server.MeasureGlobal(data);
        WriteVerbose(FormattableString.Invariant($"Measured {Server.Name}'s global model after round {Server.Round} on {data}: loss {global.Loss:F4}, accuracy {global.Accuracy:P2}."));
        WriteObject(LanguageModelView.Tag(global));
    }
}
