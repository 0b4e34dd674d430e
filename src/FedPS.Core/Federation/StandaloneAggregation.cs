using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>
/// A strategy's aggregation without a server, dataset or model: updates merged against global parameters, through
/// the same aggregation and the same checks a server's round uses. For testing an aggregation rule on numbers worked
/// out by hand (Merge-FedUpdate).
/// </summary>
public static class StandaloneAggregation
{
    /// <summary>
    /// Merges <paramref name="updates"/> with <paramref name="strategy"/> and returns its new global parameters (a copy
    /// the caller owns). An uninitialized strategy starts from <paramref name="global"/> (default: the first update's
    /// baseline, else zeros shaped like its parameters); an initialized one continues from its own state.
    /// </summary>
    public static ParameterSet Merge(FederatedStrategy strategy, IReadOnlyList<ClientUpdate> updates, ParameterSet? global = null, int round = 1)
    {
        if (updates.Count == 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "There is nothing to merge: give at least one update.", strategy.Name);
        }

        if (!strategy.IsInitialized)
        {
            var first = updates[0];
            using var start = global?.Clone() ?? first.Baseline?.Clone() ?? first.Parameters.Map((_, v) => zeros_like(v));
            strategy.Check(new FederationShape(updates.Count, updates.Count, []));
            strategy.Initialize(start, [], updates.Count);
        }

        using var context = new RoundContext(round, 0, []);
        using var aggregation = strategy.BeginAggregation(context);
        foreach (var update in updates)
        {
            strategy.Global.EnsureLike(update.Parameters, $"merge client {update.ClientId}'s update");
            aggregation.Add(update);
        }

        strategy.CommitAggregate(aggregation.Complete([]), updates.Select(u => u.Parameters), round);
        return strategy.Global.Clone();
    }
}
