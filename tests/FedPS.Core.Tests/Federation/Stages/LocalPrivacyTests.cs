using FedPS.Core.Federation.Stages;
using static FedPS.Core.Tests.Federation.Stages.StageKit;

namespace FedPS.Core.Tests.Federation.Stages;

public sealed class LocalPrivacyTests
{
    [Fact]
    public void Clips_the_clients_own_update()
    {
        using var stage = new LocalPrivacy(new PrivacyOptions { Mode = PrivacyMode.Local, ClipNorm = 1, NoiseMultiplier = 0 });
        using var update = Update(0, [1, 1], [4, 5]);

        using var sent = stage.Transform(update, seed: 1, round: 1);

        Close([1.6, 1.8], Values(sent.Parameters));
        Assert.Equal(1.0, sent.UpdateNorm, 12);
    }

    [Fact]
    public void Adds_noise_of_standard_deviation_z_S_to_each_coordinate()
    {
        // z = 0.5, S = 2: σ = 1 per coordinate, on top of a zero update; 40,000 coordinates, five standard errors.
        using var stage = new LocalPrivacy(new PrivacyOptions { Mode = PrivacyMode.Local, ClipNorm = 2, NoiseMultiplier = 0.5 });
        var zeros = new double[40_000];
        using var update = Update(3, zeros, zeros);

        using var sent = stage.Transform(update, seed: 7, round: 2);
        var (mean, std) = Moments(Values(sent.Parameters));

        Assert.InRange(std, 1 - (5 / Math.Sqrt(80_000)), 1 + (5 / Math.Sqrt(80_000)));
        Assert.InRange(mean, -5 / 200.0, 5 / 200.0);
    }

    [Fact]
    public void Reports_epsilon_of_the_Gaussian_mechanism_with_half_the_multiplier_over_every_round()
    {
        // Sensitivity 2S: one report is the Gaussian mechanism with multiplier z/2, composed over the rounds, with q = 1.
        using var stage = new LocalPrivacy(new PrivacyOptions { Mode = PrivacyMode.Local, NoiseMultiplier = 4, TargetDelta = 1e-6 });

        Assert.Equal(RdpAccountant.Epsilon(1, 2, 5, 1e-6).Epsilon, stage.Epsilon(5), 12);
        Assert.True(stage.Epsilon(5) < stage.Epsilon(6));
    }

    [Fact]
    public void Is_a_client_option_and_central_DP_is_not()
    {
        Assert.True(new PrivacyOptions { Mode = PrivacyMode.Local }.IsClientOption);
        Assert.False(new PrivacyOptions().IsClientOption);
        var error = Assert.Throws<FedPSException>(() => new PrivacyOptions().CreateStage([1]));
        Assert.Contains("Central differential privacy is the server's", error.Message);
        Assert.Throws<FedPSException>(() => new PrivacyOptions { Mode = PrivacyMode.Local, AdaptiveClip = true }.Validated());
    }
}
