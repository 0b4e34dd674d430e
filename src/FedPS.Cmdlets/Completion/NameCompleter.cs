using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using FedPS.Core.Data;
using FedPS.Core.Data.Packages;
using FedPS.Core.Data.Text;
using FedPS.Core.Experiments;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Runtime;
using FedPS.Core.Simulation;
using FedPS.Core.Tokenizers;

namespace FedPS.Cmdlets.Completion;

/// <summary>
/// Completes a parameter from a list of names (one mechanism for every name-valued parameter). Every entry carries
/// a description, the tooltip PowerShell shows beside it: what the name stands for.
/// </summary>
public abstract class NameCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<string> Names { get; }

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return Names
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(Quoted(n), n, CompletionResultType.ParameterValue, Describe(n)));
    }

    /// <summary>The tooltip of a completion: what the name stands for.</summary>
    protected abstract string Describe(string name);

    /// <summary>A name as typed on the command line: quoted when it holds spaces or characters PowerShell would read.</summary>
    internal static string Quoted(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? name : $"'{name.Replace("'", "''", StringComparison.Ordinal)}'";
}

/// <summary>A completer over the names the engine owns, each explained by a line of text here (a name without one is a test failure).</summary>
public abstract class DescribedNameCompleter(IEnumerable<string> names, IReadOnlyDictionary<string, string> descriptions) : NameCompleter
{
    protected override IEnumerable<string> Names => names;

    protected override string Describe(string name) => descriptions.GetValueOrDefault(name) ?? name;
}

public sealed class DatasetNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DatasetCatalog.Names;

    protected override string Describe(string name) => Installable(DatasetCatalog.Get(name), DatasetCatalog.Get(name).Description);

    internal static string Installable(IDataPackage package, string description) =>
        $"{description}; {(package.IsInstalled ? $"installed in {package.Folder}" : $"not installed (Install-FedDataset {package.Name})")}";
}

/// <summary>Everything Install-FedDataset installs: the datasets and the text tasks' packages.</summary>
public sealed class InstallableNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DataCatalog.Installable.Select(p => p.Name);

    protected override string Describe(string name)
    {
        var package = DataCatalog.Get(name);
        var description = package switch
        {
            DatasetDefinition dataset => dataset.Description,
            TextPackage text => text.Description,
            _ => package.Source.ToString(),
        };
        return DatasetNameCompleter.Installable(package, $"{description}, from the {package.Source}");
    }
}

public sealed class TextTaskNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => TextTaskCatalog.Names;

    protected override string Describe(string name) => TextTaskCatalog.Get(name).Description;
}

public sealed class TokenizerNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => TokenizerCatalog.Names;

    protected override string Describe(string name) => $"{name} tokenizer, a vocabulary of {TokenizerCatalog.Get(name).VocabularySize:N0} tokens";
}



public sealed class SplitNameCompleter() : DescribedNameCompleter(DatasetDefinition.Splits, new Dictionary<string, string>
{
    ["train"] = "The training split (what clients train on)",
    ["validation"] = "Held out from the training data for tuning (datasets: -ValidationFraction, -ValidationSeed; text tasks: -ValidationCount)",
    ["test"] = "The held-out test split (what the server evaluates on)",
});

public sealed class StrategyNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => StrategyCatalog.Names;

    protected override string Describe(string name)
    {
        var definition = StrategyCatalog.Get(name);
        var knobs = definition.Knobs.Select(k => "-" + k.Name).ToArray();
        return $"{definition.Summary}{(knobs.Length == 0 ? string.Empty : ". Knobs: " + string.Join(" ", knobs))}";
    }
}

public sealed class ArchitectureNameCompleter() : DescribedNameCompleter(ModelSpec.Architectures, new Dictionary<string, string>
{
    ["Mlp"] = "Fully connected layers (-Hidden, default 200, 200: McMahan et al.'s 2NN) for images or flat features",
    ["Cnn"] = "Two 5×5 convolutions with max pooling and two dense layers (McMahan et al.'s CNN) for images",
    ["Gpt"] = "A GPT decoder for token sequences (-Layers -Heads -Embedding -ContextLength), optionally with LoRA",
});

public sealed class OptimizerNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => OptimizerSpec.Names;

    protected override string Describe(string name) => $"Defaults: {OptimizerSpec.Defaults(name)}";
}

public sealed class HessianEstimatorNameCompleter() : DescribedNameCompleter(HessianEstimators.Names, new Dictionary<string, string>
{
    [GaussNewtonBartlett.EstimatorName] = "Gauss-Newton-Bartlett: the squared gradient of the loss against labels sampled from the model",
    [Hutchinson.EstimatorName] = "Hutchinson: u ⊙ (H u) for a random u, by a Hessian-vector product",
});

public sealed class DeviceNameCompleter() : DescribedNameCompleter(FedDevice.ValidNames, new Dictionary<string, string>
{
    ["cpu"] = "The CPU (libtorch's CPU natives)",
    ["cuda"] = "The first CUDA GPU (needs a build with libtorch's CUDA natives)",
    ["auto"] = "CUDA when it is available, else the CPU",
});

public sealed class MetricNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => RoundMetrics.Names;

    protected override string Describe(string name) => RoundMetrics.Describe(name);
}

public sealed class GroupByCompleter() : DescribedNameCompleter(["Strategy", "Dataset", "Experiment", RunGroups.Point, "Seed", "Name"], new Dictionary<string, string>
{
    ["Strategy"] = "One curve per strategy",
    ["Dataset"] = "One curve per dataset",
    ["Experiment"] = "One curve per experiment",
    ["Point"] = "One curve per combination of swept values, averaged over seeds",
    ["Seed"] = "One curve per seed",
    ["Name"] = "One curve per run",
});


/// <summary>Completion from a file named by another parameter of the command (a store, a config), resolved as PowerShell would.</summary>
internal static class CompletionFiles
{
    // Tab completion must answer at once, also for a store or sweep of many thousand runs.
    public const int MaxCandidates = 10_000;

    /// <summary>The file the parameter names, resolved against the session's current location; null when there is none.</summary>
    public static string? Resolve(IDictionary fakeBoundParameters, string parameter)
    {
        if (fakeBoundParameters[parameter] is not { } value || Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) is not { Length: > 0 } path)
        {
            return null;
        }

        var resolved = ScriptBlock.Create("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])")
            .Invoke(path).FirstOrDefault()?.BaseObject as string;
        return resolved is not null && File.Exists(resolved) ? resolved : null;
    }

    /// <summary>The store's runs (without their rounds), or none when it cannot be read.</summary>
    public static IReadOnlyList<StoredRun> StoredRuns(IDictionary fakeBoundParameters)
    {
        var path = Resolve(fakeBoundParameters, "Database");
        try
        {
            return path is null ? [] : ResultsStore.OpenExisting(path).ListRuns();
        }
        catch (Core.FedPSException)
        {
            return [];
        }
    }

    public static IEnumerable<CompletionResult> Complete(IEnumerable<(string Name, string Description)> candidates, string wordToComplete)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return candidates
            .Take(MaxCandidates)
            .Where(c => c.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(c => new CompletionResult(NameCompleter.Quoted(c.Name), c.Name, CompletionResultType.ParameterValue, c.Description))
            .ToArray();
    }
}

/// <summary>Completes -Name of Get-FedRun with the runs of the store its -Database names.</summary>
public sealed class StoredRunNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionFiles.Complete(
            CompletionFiles.StoredRuns(fakeBoundParameters).Select(r => (r.Name, $"Run {r.Index} of {r.Experiment}: {r.Status.ToText()}, {r.LastRound} round(s) stored")),
            wordToComplete);
}

/// <summary>Completes -Experiment of Get-FedRun with the experiments of the store its -Database names.</summary>
public sealed class StoredExperimentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionFiles.Complete(
            CompletionFiles.StoredRuns(fakeBoundParameters).GroupBy(r => r.Experiment)
                .Select(g => (g.Key, $"{g.Count()} run(s): {string.Join(", ", g.GroupBy(r => r.Status).Select(s => $"{s.Count()} {s.Key.ToText()}"))}")),
            wordToComplete);
}

/// <summary>Completes -Name of Invoke-FedExperiment with the run names of the plan its -Config (a YAML path) expands to.</summary>
public sealed class PlannedRunNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (CompletionFiles.Resolve(fakeBoundParameters, "Config") is not { } path)
        {
            return [];
        }

        try
        {
            return CompletionFiles.Complete(
                ExperimentConfig.Load(path).Runs(force: true).Take(CompletionFiles.MaxCandidates)
                    .Select(r => (r.Name, $"Run {r.Index}: {(r.Point.Length == 0 ? "no swept values" : r.Point)}, seed {r.Seed}")),
                wordToComplete);
        }
        catch (Core.FedPSException)
        {
            return [];
        }
    }
}



