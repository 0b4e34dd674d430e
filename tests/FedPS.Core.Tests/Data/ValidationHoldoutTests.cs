using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Experiments;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Data;

public sealed class ValidationHoldoutTests
{
    // 10 classes with unequal sizes, as in real data.
    private static readonly int[] Labels = Enumerable.Range(0, 2000).Select(i => (i * 7 + (i % 13)) % 10).ToArray();

    [Fact]
    public void Train_and_validation_are_disjoint_and_cover_every_sample()
    {
        var (train, validation) = new ValidationHoldout(0.2, Seed: 5).Split(Labels);

        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, Labels.Length), train.Concat(validation).Order());
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.0333)]
    public void Every_class_gives_its_share_and_the_total_follows_from_the_size_alone(double fraction)
    {
        var holdout = new ValidationHoldout(fraction, Seed: 1);
        var (_, validation) = holdout.Split(Labels);

        Assert.Equal(holdout.ValidationCount(Labels.Length), validation.Length);
        foreach (var byClass in Labels.Select((label, i) => (label, i)).GroupBy(p => p.label))
        {
            var share = fraction * byClass.Count();
            Assert.InRange(validation.Count(i => Labels[i] == byClass.Key), Math.Floor(share), Math.Ceiling(share));
        }
    }

    [Fact]
    public void The_same_seed_picks_the_same_samples_and_another_seed_others()
    {
        var first = new ValidationHoldout(0.1, Seed: 7).Split(Labels).Validation;
        var again = new ValidationHoldout(0.1, Seed: 7).Split(Labels).Validation;
        var other = new ValidationHoldout(0.1, Seed: 8).Split(Labels).Validation;

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void A_fraction_outside_zero_to_one_is_refused(double fraction)
    {
        var ex = Assert.Throws<FedPSException>(() => new ValidationHoldout(fraction).Split(Labels));
        Assert.Contains("ValidationFraction", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fraction_too_small_to_hold_out_anything_is_refused()
    {
        var ex = Assert.Throws<FedPSException>(() => new ValidationHoldout(0.0001).Split(Labels));
        Assert.Contains("no validation samples", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Carving_a_dataset_keeps_the_rows_of_each_part()
    {
        var data = TestData.Blobs(300, seed: 2);
        var holdout = new ValidationHoldout(0.25, Seed: 3);
        var (trainRows, validationRows) = holdout.Split(data.LabelArray);

        var train = data.Carve(holdout, validation: false);
        var validation = data.Carve(holdout, validation: true);

        Assert.Equal(("train", trainRows.Length), (train.Split, train.Count));
        Assert.Equal(("validation", validationRows.Length), (validation.Split, validation.Count));
        using var expected = data.Features.index_select(0, tensor(validationRows.Select(i => (long)i).ToArray()));
        Assert.True(validation.Features.eq(expected).all().item<bool>());
    }

    [Fact]
    public void The_real_digits_train_split_excludes_exactly_the_validation_samples()
    {
        var digits = DatasetCatalog.Get("digits");
        var holdout = new ValidationHoldout(0.2, Seed: 0);
        Assert.Equal(digits.Shape.CountOf("validation", holdout), digits.Load("validation", CPU, holdout: holdout).Count);

        var full = digits.Load("train", CPU);
        var train = digits.Load("train", CPU, holdout: holdout);
        var validation = digits.Load("validation", CPU, holdout: holdout);
        var test = digits.Load("test", CPU, holdout: holdout);

        Assert.Equal(full.Count, train.Count + validation.Count);
        Assert.Equal(full.LabelHistogram(), train.LabelHistogram().Zip(validation.LabelHistogram(), (a, b) => a + b));
        double Sum(FedDataset d) => d.Features.to_type(ScalarType.Float64).sum().item<double>();
        Assert.Equal(Sum(full), Sum(train) + Sum(validation), 1e-6);
        Assert.Equal(digits.Load("test", CPU).Count, test.Count);
    }

    [Fact]
    public void The_validation_split_needs_a_holdout()
    {
        var ex = Assert.Throws<FedPSException>(() => DatasetCatalog.Get("digits").Load("validation", CPU));
        Assert.Contains("validationFraction", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_that_evaluates_on_validation_needs_a_fraction_and_loads_the_holdout_with_it()
    {
        var refused = Assert.Throws<FedPSException>(() => new DatasetSpec { TestSplit = "validation" }.Validated());
        Assert.Contains("validationFraction", refused.Message, StringComparison.Ordinal);

        var spec = new DatasetSpec { TestSplit = "Validation", ValidationFraction = 0.1, ValidationSeed = 4 }.Validated();
        Assert.Equal("validation", spec.TestSplit);
        Assert.Equal(new ValidationHoldout(0.1, 4), spec.Holdout);
        Assert.Null(new DatasetSpec().Validated().Holdout);
    }
}
