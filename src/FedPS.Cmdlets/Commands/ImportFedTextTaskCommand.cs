using System.Management.Automation;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Data.Text;
using FedPS.Core.Tokenizers;
using FedPS.Core.Runtime;

namespace FedPS.Cmdlets.Commands;

[Cmdlet(VerbsData.Import, "FedTextTask", DefaultParameterSetName = TaskSet)]
[OutputType(typeof(FedTextTask), ParameterSetName = [TaskSet])]
[OutputType(typeof(FedDataset), ParameterSetName = [CorpusSet])]
public sealed class ImportFedTextTaskCommand : FedCmdlet
{
    private const string TaskSet = "Task";
    private const string CorpusSet = "Corpus";
    private readonly List<TextTaskDefinition> corpusTasks = [];

    /// <summary>Task names; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TextTaskNameCompleter))]
    [SupportsWildcards]
    public string[] Name { get; set; } = [];

    [Parameter]
    [ArgumentCompleter(typeof(TokenizerNameCompleter))]
    public string Tokenizer { get; set; } = "Byte";

    [Parameter]
    [ValidateRange(2, 4096)]
    public int ContextLength { get; set; } = 64;

    [Parameter(ParameterSetName = TaskSet)]
    [ValidateRange(1, int.MaxValue)]
    public int TrainCount { get; set; } = 256;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TestCount { get; set; } = 32;

    /// <summary>Examples carved from the training side (after the test split) for tuning and early stopping.</summary>
    [Parameter(ParameterSetName = TaskSet)]
    [ValidateRange(0, int.MaxValue)]
    public int ValidationCount { get; set; }

    /// <summary>Seeds each task's train/test split.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>Return the raw text of the tasks' examples as one pretraining dataset instead of task objects.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CorpusSet)]
    public SwitchParameter Corpus { get; set; }

    [Parameter(ParameterSetName = CorpusSet)]
    [ArgumentCompleter(typeof(SplitNameCompleter))]
    public string Split { get; set; } = "train";

    /// <summary>Corpus: how many of each task's training examples give their raw text.</summary>
    [Parameter(ParameterSetName = CorpusSet)]
    [ValidateRange(1, int.MaxValue)]
    public int CorpusCount { get; set; } = 2000;

    protected override void Process() => ProcessItems(Name, name =>
    {
        foreach (var definition in Resolve(name))
        {
            if (Corpus)
            {
                corpusTasks.Add(definition);
            }
            else
            {
                WriteObject(FedTextTask.Load(definition, TokenizerCatalog.Get(Tokenizer), ContextLength, TrainCount, TestCount, Seed, FedDevice.Current, ValidationCount));
            }
        }
    });

    protected override void End()
    {
        if (!Corpus)
        {
            return;
        }

        var split = DatasetDefinition.SplitCatalog.Canonical(Split);

        var tokenizer = TokenizerCatalog.Get(Tokenizer);
        var texts = corpusTasks.SelectMany(d =>
        {
            var task = FedTextTask.Load(d, tokenizer, ContextLength, CorpusCount, TestCount, Seed, FedDevice.Current);
            return (split == "train" ? task.TrainExamples : task.TestExamples).Select(e => e.Raw);
        });
        WriteObject(TextEncoder.Corpus("corpus", split, texts, tokenizer, ContextLength, FedDevice.Current));
    }

    private static IEnumerable<TextTaskDefinition> Resolve(string name)
    {
        if (!WildcardPattern.ContainsWildcardCharacters(name))
        {
            return [TextTaskCatalog.Get(name)];
        }

        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
        return TextTaskCatalog.All.Where(t => pattern.IsMatch(t.Name));
    }
}
