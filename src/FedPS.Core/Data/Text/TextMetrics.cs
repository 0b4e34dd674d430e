namespace FedPS.Core.Data.Text;

/// <summary>Scores of a generated text against its reference: exact match and chrF.</summary>
public static class TextMetrics
{
    /// <summary>1 when the two agree after trimming surrounding whitespace (ordinal, case-sensitive), else 0.</summary>
    public static double ExactMatch(string hypothesis, string reference) =>
        string.Equals(hypothesis.Trim(), reference.Trim(), StringComparison.Ordinal) ? 1 : 0;

    /// <summary>
    /// chrF (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation", WMT15): with whitespace removed,
    /// for each n = 1..<paramref name="maxOrder"/> the character n-gram precision P_n = m_n / |hyp n-grams| and recall
    /// R_n = m_n / |ref n-grams|, where m_n counts the n-grams the two share (each at most as often as it occurs in both);
    /// chrP and chrR are the arithmetic means of P_n and R_n over n, and
    /// <code>  chrF_β = (1 + β²)·chrP·chrR / (β²·chrP + chrR)  </code>
    /// in [0, 1]. The paper recommends n ≤ 6 and β = 3 (chrF3), the defaults. For words shorter than
    /// <paramref name="maxOrder"/> characters, orders that hypothesis or reference have no n-gram of are left out of the
    /// means (sacreBLEU's "effective order"). An empty hypothesis scores 0 (1 if the reference is empty too).
    /// </summary>
    public static double ChrF(string hypothesis, string reference, int maxOrder = 6, double beta = 3)
    {
        if (maxOrder < 1 || !(beta > 0) || !double.IsFinite(beta))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant($"chrF needs maxOrder ≥ 1 and β > 0 (got {maxOrder}, {beta})."));
        }

        var hyp = string.Concat(hypothesis.Where(c => !char.IsWhiteSpace(c)));
        var @ref = string.Concat(reference.Where(c => !char.IsWhiteSpace(c)));
        if (hyp.Length == 0 || @ref.Length == 0)
        {
            return hyp.Length == @ref.Length ? 1 : 0;
        }

        double precision = 0, recall = 0;
        var orders = 0;
        for (var n = 1; n <= maxOrder && n <= hyp.Length && n <= @ref.Length; n++)
        {
            var h = NGrams(hyp, n);
            var r = NGrams(@ref, n);
            var matches = h.Sum(g => Math.Min(g.Value, r.GetValueOrDefault(g.Key)));
            precision += matches / (double)(hyp.Length - n + 1);
            recall += matches / (double)(@ref.Length - n + 1);
            orders++;
        }

        precision /= orders;
        recall /= orders;
        var b2 = beta * beta;
        return precision + recall == 0 ? 0 : (1 + b2) * precision * recall / ((b2 * precision) + recall);
    }

    private static Dictionary<string, int> NGrams(string text, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= text.Length; i++)
        {
            var gram = text.Substring(i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }

        return counts;
    }
}
