using System.Globalization;
using FedPS.Core.Primitives;

namespace FedPS.Core.Data;

/// <summary>
/// A validation set carved from a training split: a seeded, class-stratified <see cref="Fraction"/> of it. The
/// same (fraction, seed) always picks the same samples, so the "train" split of a dataset loaded with a holdout
/// excludes exactly the samples its "validation" split holds: hyperparameters are tuned on validation, never on
/// test data. Of N samples, round(fraction·N) are held out, shared among the classes in proportion to their sizes
/// (each class gives ⌊fraction·n_c⌋, and the classes with the largest remainders one more), each class's chosen
/// by a seeded shuffle; so the sizes follow from N alone.
/// </summary>
public sealed record ValidationHoldout(double Fraction, int Seed = 0)
{
    public ValidationHoldout Validated()
    {
        if (!(Fraction > 0 && Fraction < 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"ValidationFraction must be in (0, 1) (got {Fraction})."), Fraction);
        }

        return this;
    }

    /// <summary>How many of <paramref name="samples"/> samples are held out.</summary>
    public int ValidationCount(int samples) => (int)Math.Round(Validated().Fraction * samples, MidpointRounding.AwayFromZero);

    /// <summary>The indices (ascending) of the samples kept for training and of those held out, by class label.</summary>
    public (int[] Train, int[] Validation) Split(IReadOnlyList<int> labels)
    {
        var classes = Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        var quotas = classes.Select(c => Fraction * c.Length).ToArray();
        var counts = quotas.Select(q => (int)Math.Floor(q)).ToArray();
        var extra = ValidationCount(labels.Count) - counts.Sum();
        foreach (var c in Enumerable.Range(0, classes.Length).OrderByDescending(c => quotas[c] - counts[c]).ThenBy(c => c).Take(extra))
        {
            counts[c]++;
        }

        var random = new Random(SeedSequence.DeriveInt(Seed, (long)SeedPurpose.Validation));
        var heldOut = new bool[labels.Count];
        for (var c = 0; c < classes.Length; c++)
        {
            random.Shuffle(classes[c]);
            foreach (var i in classes[c].AsSpan(0, counts[c]))
            {
                heldOut[i] = true;
            }
        }

        var all = Enumerable.Range(0, labels.Count);
        var validation = all.Where(i => heldOut[i]).ToArray();
        if (validation.Length == 0 || validation.Length == labels.Count)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"A validation fraction of {Fraction} of {labels.Count} samples leaves {(validation.Length == 0 ? "no validation" : "no training")} samples."),
                Fraction);
        }

        return (all.Where(i => !heldOut[i]).ToArray(), validation);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"validation {Fraction:P0} of train (seed {Seed})");
}
