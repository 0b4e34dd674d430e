using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Strategies;

/// <summary>Krum's knobs.</summary>
public sealed record KrumOptions : StrategyOptions
{
    /// <summary>f, the number of Byzantine clients to tolerate among a round's n (Krum needs n ≥ 2f + 3).</summary>
    public int ByzantineClients { get; init; }

    public override StrategyOptions Validated()
    {
        Require(ByzantineClients >= 0, nameof(ByzantineClients), ByzantineClients, "at least 0");
        return this;
    }
}

/// <summary>Multi-Krum's knobs.</summary>
public sealed record MultiKrumOptions : StrategyOptions
{
    /// <summary>f, the number of Byzantine clients to tolerate among a round's n (needs n ≥ 2f + 3).</summary>
    public int ByzantineClients { get; init; }

    /// <summary>m, how many of the best-scored updates are averaged; null: n − f.</summary>
    public int? Keep { get; init; }

    public override StrategyOptions Validated()
    {
        Require(ByzantineClients >= 0, nameof(ByzantineClients), ByzantineClients, "at least 0");
        Require(Keep is null or >= 1, nameof(Keep), Keep, "at least 1");
        return this;
    }
}

/// <summary>
/// Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer 2017, "Machine Learning with Adversaries: Byzantine
/// Tolerant Gradient Descent"). With n updates of which up to f may be Byzantine (n ≥ 2f + 3), each update i is
/// scored by the squared distances to its n − f − 2 closest others,
/// <code>  s(i) = Σ_{j ∈ N(i)} ‖xᵢ − xⱼ‖²  </code>
/// Krum takes the update with the lowest score as the new model; Multi-Krum averages the m lowest-scored updates,
/// weighted by sample count as Flower's Krum does (equal counts give the paper's plain mean). Ties go to the
/// earlier update. Distances are over all trainable parameters (equivalently over the updates' deltas, since every
/// client starts from the same model).
/// </summary>
public sealed class Krum : FederatedStrategy
{
    private Krum(int byzantine, int? keep, string name)
        : base(name)
    {
        ByzantineClients = byzantine;
        Keep = keep;
    }

    public Krum(KrumOptions options)
        : this(((KrumOptions)options.Validated()).ByzantineClients, 1, nameof(Krum))
    {
    }

    public Krum(MultiKrumOptions options)
        : this(((MultiKrumOptions)options.Validated()).ByzantineClients, options.Keep, "MultiKrum")
    {
    }

    public int ByzantineClients { get; }

    /// <summary>m: 1 for Krum; null for Multi-Krum's default n − f.</summary>
    public int? Keep { get; }

    public override void Check(FederationShape federation) => EnsureEnough(federation.ClientsPerRound, "sampled per round");

    public override ParameterSet? Aggregate(RoundContext round, IReadOnlyList<ClientUpdate> results, IReadOnlyList<ClientFailure> failures)
    {
        EnsureEnough(results.Count, $"arrived in round {round.Number}" + (failures.Count > 0 ? $" ({failures.Count} failed)" : string.Empty));
        var keep = Keep ?? (results.Count - ByzantineClients);
        if (keep > results.Count - ByzantineClients)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{Name} keeps m = {keep} updates, but with n = {results.Count} and f = {ByzantineClients} at most n − f = {results.Count - ByzantineClients} may be kept.", keep);
        }

        var selected = Select(results, ByzantineClients, keep);
        return RunningAverage.Of(selected.Select(i => results[i].Parameters).ToArray(), selected.Select(i => (double)results[i].SampleCount).ToArray());
    }

    /// <summary>The indices of the <paramref name="keep"/> lowest-scored updates, best first.</summary>
    public static int[] Select(IReadOnlyList<ClientUpdate> results, int byzantine, int keep)
    {
        var scores = Scores(results, byzantine);
        return Enumerable.Range(0, results.Count).OrderBy(i => scores[i]).ThenBy(i => i).Take(keep).ToArray();
    }

    /// <summary>s(i) for every update: the sum of its n − f − 2 smallest squared distances to the others.</summary>
    public static double[] Scores(IReadOnlyList<ClientUpdate> results, int byzantine)
    {
        var n = results.Count;
        var neighbours = n - byzantine - 2;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var flat = stack(results.Select(u => cat(u.Parameters.Values.Select(v => v.flatten().to_type(ScalarType.Float64)).ToArray())).ToArray());
        var distances = stack(Enumerable.Range(0, n).Select(i => flat.sub(flat[i]).square().sum(1)).ToArray()).cpu();
        var d = distances.data<double>().ToArray();
        return Enumerable.Range(0, n)
            .Select(i => Enumerable.Range(0, n).Where(j => j != i).Select(j => d[(i * n) + j]).Order().Take(neighbours).Sum())
            .ToArray();
    }

    public override string ToString() => Keep == 1
        ? FormattableString.Invariant($"Krum(f={ByzantineClients})")
        : FormattableString.Invariant($"MultiKrum(f={ByzantineClients}, m={(Keep is { } m ? m.ToString(System.Globalization.CultureInfo.InvariantCulture) : "n-f")})");

    private void EnsureEnough(int n, string what)
    {
        if (n < (2 * ByzantineClients) + 3)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{Name} with f = {ByzantineClients} Byzantine clients needs at least 2f + 3 = {(2 * ByzantineClients) + 3} updates per round, " +
                $"but {n} {(n == 1 ? "client is" : "clients are")} {what}. Lower ByzantineClients or sample more clients.", ByzantineClients);
        }
    }
}
