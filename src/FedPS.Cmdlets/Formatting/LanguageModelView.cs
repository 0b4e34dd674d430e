using System.Management.Automation;
using FedPS.Core.Simulation;

namespace FedPS.Cmdlets.Formatting;

/// <summary>
/// Marks a language model's results for the views that show perplexity (exp of the per-token loss); a classifier's
/// results keep the views without it, where a perplexity would mean nothing.
/// </summary>
internal static class LanguageModelView
{
    private const string Suffix = "#LanguageModel";

    public static object Tag(RoundResult result) => result.IsLanguageModel ? Tagged(result) : result;

    public static object Tag(LossMeasurement measurement) => measurement.IsLanguageModel ? Tagged(measurement) : measurement;

    private static PSObject Tagged(object item)
    {
        var tagged = PSObject.AsPSObject(item);
        tagged.TypeNames.Insert(0, item.GetType().FullName + Suffix);
        return tagged;
    }
}
