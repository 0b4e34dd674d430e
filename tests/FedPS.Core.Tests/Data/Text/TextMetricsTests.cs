using FedPS.Core.Data.Text;

namespace FedPS.Core.Tests.Data.Text;

public sealed class TextMetricsTests
{
    [Theory]
    // Identical: every P_n = R_n = 1.
    [InlineData("Haus", "Haus", 3.0, 1.0)]
    // Nothing shared.
    [InlineData("ab", "cd", 3.0, 0.0)]
    // hyp "ab", ref "abc": P₁ = 2/2, R₁ = 2/3; P₂ = 1/1, R₂ = 1/2; n = 3 has no hypothesis n-gram and is left out.
    // chrP = 1, chrR = (2/3 + 1/2)/2 = 7/12; chrF3 = 10·(7/12) / (9 + 7/12) = 70/115 = 14/23.
    [InlineData("ab", "abc", 3.0, 14.0 / 23.0)]
    // The same with β = 1: 2·(7/12) / (1 + 7/12) = 14/19.
    [InlineData("ab", "abc", 1.0, 14.0 / 19.0)]
    // Counts are clipped: hyp "aaa", ref "a": P₁ = 1/3, R₁ = 1 (n ≥ 2: no reference n-gram); chrF3 = 10·(1/3) / (9·(1/3) + 1) = 5/6.
    [InlineData("aaa", "a", 3.0, 5.0 / 6.0)]
    // Whitespace is not a character for chrF.
    [InlineData("a b", " ab ", 3.0, 1.0)]
    // hyp "abcd", ref "abdc": n=1: 4/4 both; n=2: {ab} shared → 1/3 both; n=3: none → 0; n=4: none → 0.
    // chrP = chrR = (1 + 1/3 + 0 + 0)/4 = 1/3, and F_β of equal P and R is that value.
    [InlineData("abcd", "abdc", 3.0, 1.0 / 3.0)]
    public void ChrF_matches_hand_worked_values(string hypothesis, string reference, double beta, double expected) =>
        Assert.Equal(expected, TextMetrics.ChrF(hypothesis, reference, beta: beta), 12);

    [Fact]
    public void ChrF_weighs_recall_beta_times_as_much_as_precision()
    {
        // hyp ⊂ ref (high precision, low recall) scores lower under β = 3 than ref ⊂ hyp of the same sizes.
        var shortHyp = TextMetrics.ChrF("abc", "abcdef");
        var longHyp = TextMetrics.ChrF("abcdef", "abc");
        Assert.True(shortHyp < longHyp, $"{shortHyp} vs {longHyp}");
        Assert.Equal(TextMetrics.ChrF("abc", "abcdef", beta: 1), TextMetrics.ChrF("abcdef", "abc", beta: 1), 12);
    }

    [Fact]
    public void Empty_texts_and_bad_arguments()
    {
        Assert.Equal(0, TextMetrics.ChrF("", "Haus"));
        Assert.Equal(1, TextMetrics.ChrF(" ", ""));
        Assert.Throws<FedPSException>(() => TextMetrics.ChrF("a", "a", maxOrder: 0));
        Assert.Throws<FedPSException>(() => TextMetrics.ChrF("a", "a", beta: 0));
    }

    [Theory]
    [InlineData("Haus", "Haus", 1.0)]
    [InlineData(" Haus\n", "Haus", 1.0)]
    [InlineData("haus", "Haus", 0.0)]
    [InlineData("Hausboot", "Haus", 0.0)]
    public void Exact_match_trims_but_is_case_sensitive(string hypothesis, string reference, double expected) =>
        Assert.Equal(expected, TextMetrics.ExactMatch(hypothesis, reference));
}
