using System.Globalization;
using FedPS.Core.Primitives;

namespace FedPS.Core.Data;

/// <summary>
/// A validation set carved from a training split: a seeded, class-stratified <see cref="Fraction"/> of it. The
/// same (fraction, seed) always picks the same samples, so the "train" split of a dataset loaded with a holdout
/// excludes exactly the samples its "validation" split holds: hyperparameters are tuned on validation, never on
/// test data. From every class c with n_c samples, round(fraction·n_c) are held out, chosen by a seeded shuffle.
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

    /// <summary>The indices (ascending) of the samples kept for training and of those held out, by class label.</summary>
    public (int[] Train, int[] Validation) Split(IReadOnlyList<int> labels)
    {
        Validated();
        var random = new Random(SeedSequence.DeriveInt(Seed, (long)SeedPurpose.Validation));
        var heldOut = new bool[labels.Count];
        foreach (var byClass in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = byClass.ToArray();
            random.Shuffle(members);
            foreach (var i in members.AsSpan(0, (int)Math.Round(Fraction * members.Length, MidpointRounding.AwayFromZero)))
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
