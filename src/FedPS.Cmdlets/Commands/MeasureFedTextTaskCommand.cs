using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Data.Text;
using FedPS.Core.Models;
using FedPS.Core.Simulation;
using FedPS.Core.Tokenizers;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsDiagnostic.Measure, "FedTextTask")]
[OutputType(typeof(TextTaskScore))]
public sealed class MeasureFedTextTaskCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public FedServer Server { get; set; } = null!;

    /// <summary>The task whose examples are scored (piped from Import-FedTextTask).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public FedTextTask Task { get; set; } = null!;

    /// <summary>Whose model writes; by default the client that trains on this task, else the global model.</summary>
    [Parameter]
    public int? ClientId { get; set; }

    [Parameter]
    [ValidateSet("Test", "Validation")]
    public string Split { get; set; } = "Test";

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxTokens { get; set; } = 32;

    /// <summary>Score only the first this many examples of the split.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Count { get; set; }

    protected override void Process()
    {
        var config = Server.Model.Spec.Gpt ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Measure-FedTextTask needs a Gpt model, not {Server.Model.Architecture}.", Server.Model);
        var validation = string.Equals(Split, "Validation", StringComparison.OrdinalIgnoreCase);
        var examples = validation ? Task.ValidationExamples : Task.TestExamples;
        if (examples.Count == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"Task '{Task.Name}' has no {Split.ToLowerInvariant()} examples (Import-FedTextTask -ValidationCount gives it some).", Task);
        }

        var client = ClientId ?? Server.Clients.FirstOrDefault(c => ReferenceEquals(c.Data.Data, Task.Train))?.Id;
        var module = Server.ModuleFor(client);
        var chosen = examples.Take(Count ?? examples.Count).ToArray();
        WriteObject(TextTaskScore.Measure(module, TokenizerCatalog.Get(config.Tokenizer), config.ContextLength, Task.Name, Task.Kind,
            validation ? "validation" : "test", chosen, MaxTokens, client));
    }
}
