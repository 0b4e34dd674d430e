using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Models;
using FedPS.Core.Tokenizers;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsLifecycle.Invoke, "FedGenerate", DefaultParameterSetName = ModelSet)]
[OutputType(typeof(GeneratedText))]
public sealed class InvokeFedGenerateCommand : FedCmdlet
{
    private const string ModelSet = "Model";
    private const string ServerSet = "Server";
    private GptConfig? config;

    [Parameter(Mandatory = true, ParameterSetName = ModelSet)]
    public FedModel Model { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = ServerSet)]
    public FedServer Server { get; set; } = null!;

    /// <summary>Whose model writes: a client's own (Mira, LocalOnly) or, without it, the server's global model.</summary>
    [Parameter(ParameterSetName = ServerSet)]
    public int? ClientId { get; set; }

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Prompt { get; set; } = [];

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxTokens { get; set; } = 48;

    /// <summary>0 is greedy decoding; above 0, sampling from softmax(logits / temperature).</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double Temperature { get; set; }

    [Parameter]
    public int Seed { get; set; }

    // A model that cannot write voids the whole command; a prompt that fails is that prompt's error.
    protected override void Begin()
    {
        var model = Model ?? Server.Model;
        config = model.Spec.Gpt ?? throw new FedPSException(FedErrorKind.InvalidArgument,
            $"Invoke-FedGenerate needs a Gpt model, not {model.Architecture}.", model);
    }

    protected override void Process() => ProcessItems(Prompt, prompt =>
    {
        var tokenizer = TokenizerCatalog.Get(config!.Tokenizer);

        // Escapes such as "`n" already arrive as newlines; a literal \n in a prompt is taken as one too.
        var text = prompt.Replace("\\n", "\n", StringComparison.Ordinal);
        var module = Server is null ? Model.Module : Server.ModuleFor(ClientId);
        var generated = TextGeneration.Generate(module, tokenizer, config.ContextLength, text, MaxTokens, Temperature, Seed, ClientId);
        WriteVerbose(FormattableString.Invariant($"Generated {generated.Tokens} token(s) at temperature {Temperature}{(ClientId is { } id ? $" with client {id}'s model" : string.Empty)}, seed {Seed}."));
        WriteObject(generated);
    });
}
