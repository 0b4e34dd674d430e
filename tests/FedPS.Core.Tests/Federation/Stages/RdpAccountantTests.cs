using FedPS.Core.Federation.Stages;

namespace FedPS.Core.Tests.Federation.Stages;

/// <summary>
/// The Rényi-DP accountant against values published by the libraries researchers use, each computed there with the same
/// RDP of the Poisson-subsampled Gaussian (Mironov, Talwar, Zhang 2019) and, for ε, the Balle et al. 2020 conversion.
/// The orders are the ones each source used, so the numbers must agree to the digits the source asserts.
/// </summary>
public sealed class RdpAccountantTests
{
    private static readonly double[] OpacusOrders =
        Enumerable.Range(1, 99).Select(x => 1 + (x / 10.0)).Concat(Enumerable.Range(12, 52).Select(x => (double)x)).ToArray();

    /// <summary>
    /// Opacus, opacus/tests/accountants_test.py, test_rdp_accountant: q = 0.04, σ = 1.5, 2,250 steps (int(90 / 0.04)),
    /// δ = 1e-5 → ε = 7.32911117143 (asserted to 7 decimal places), with RDPAccountant.DEFAULT_ALPHAS.
    /// </summary>
    [Fact]
    public void Matches_Opacus_test_rdp_accountant()
    {
        var (epsilon, _) = RdpAccountant.Epsilon(0.04, 1.5, 2250, 1e-5, OpacusOrders);

        Assert.Equal(7.32911117143, epsilon, 7);
    }

    /// <summary>
    /// Google dp_accounting, rdp/rdp_privacy_accountant_test.py, test_compute_rdp_poisson_sampled_gaussian: q = 0.01,
    /// σ = 2.5, 50 steps; RDP at orders 1.5, 2.5, 5, 50, 100 = 6.70579741e-4, 1.08548710e-3, 2.18075656e-3,
    /// 2.38460375e-2, 1.67416308e2 (rtol 1e-4). The integer orders must match. At fractional orders dp_accounting now
    /// adds |C(α, i)| for every term of the series (an upper bound), where FedPS, like Opacus, subtracts the terms whose
    /// binomial is negative (exact; see <see cref="Fractional_orders_match_numerical_integration"/>): FedPS's value may
    /// only be lower, by the size of those terms.
    /// </summary>
    [Fact]
    public void Matches_dp_accounting_poisson_sampled_gaussian_rdp()
    {
        double[] orders = [1.5, 2.5, 5, 50, 100];
        double[] expected = [6.70579741e-04, 1.08548710e-03, 2.18075656e-03, 2.38460375e-02, 1.67416308e02];

        var rdp = new RdpAccountant(orders).Compose(0.01, 2.5, 50).Rdp;

        for (var i = 2; i < orders.Length; i++)
        {
            Assert.True(Math.Abs(rdp[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]), $"order {orders[i]}: {rdp[i]} vs {expected[i]}");
        }

        Assert.InRange(rdp[0], 0.96 * expected[0], expected[0]);
        Assert.InRange(rdp[1], (1 - 1e-4) * expected[1], expected[1]);
    }

    /// <summary>
    /// Fractional orders against the definition A_α = E_{x~N(0,σ²)}[((1 − q) + q·exp((2x − 1)/(2σ²)))^α], integrated
    /// numerically with mpmath at 40 digits (mpmath.quad over (−∞, 0] and [0, ∞), the method of dp_accounting's
    /// test_compute_log_a_equals_mp); the values are the one-step RDP log(A_α)/(α − 1).
    /// </summary>
    [Theory]
    [InlineData(0.01, 2.5, 1.5, 1.30014179437348e-5)]
    [InlineData(0.001, 1.0, 2.5, 2.15074243231329e-6)]
    [InlineData(0.1, 1.0, 10.5, 2.70578601047188)]
    [InlineData(0.1, 0.8, 3.3, 0.13321645258648)]
    public void Fractional_orders_match_numerical_integration(double q, double sigma, double order, double expected)
    {
        var rdp = RdpAccountant.StepRdp(q, sigma, [order])[0];

        Assert.True(Math.Abs(rdp - expected) <= 1e-9 * Math.Abs(expected), $"{rdp} vs {expected}");
    }

    /// <summary>
    /// Opacus, opacus/accountants/analysis/rdp.py, the module docstring's doctest: two mechanisms composed,
    /// (q, σ, steps) = (1e-5, 1.0, 10) and (1e-4, 3.0, 4), orders 2…32, δ = 1e-5 → (ε, order) = (0.336, 23).
    /// </summary>
    [Fact]
    public void Matches_the_Opacus_composition_example()
    {
        var orders = Enumerable.Range(2, 31).Select(x => (double)x).ToArray();

        var (epsilon, order) = new RdpAccountant(orders).Compose(1e-5, 1.0, 10).Compose(1e-4, 3.0, 4).Epsilon(1e-5);

        Assert.Equal(0.336, epsilon, 3);
        Assert.Equal(23, order);
    }

    /// <summary>
    /// Google dp_accounting, test_compute_epsilon_delta_gaussian: the plain Gaussian mechanism (q = 1) with
    /// σ = 4.530877117 is exactly (1, 1e-6)-DP; with the orders 1.000, 1.001, …, 99.999 the conversion must give ε = 1
    /// (asserted to 7 places).
    /// </summary>
    [Fact]
    public void Matches_dp_accounting_gaussian_epsilon()
    {
        var orders = Enumerable.Range(1001, 99000 - 1).Select(i => 0.001 * i).ToArray();

        var (epsilon, _) = RdpAccountant.Epsilon(1, 4.530877117, 1, 1e-6, orders);

        Assert.Equal(1, epsilon, 7);
    }

    /// <summary>
    /// Google dp_accounting, test_compute_epsilon_delta_pure_dp: RDP 1.1 at every order 2…32 (pure DP), δ = 1e-5 →
    /// ε = 1.32783806176 at order 32. Checks the Balle et al. conversion alone.
    /// </summary>
    [Fact]
    public void Matches_dp_accounting_conversion_of_pure_dp()
    {
        var orders = Enumerable.Range(2, 31).Select(x => (double)x).ToArray();

        var (epsilon, order) = RdpAccountant.ToEpsilon(orders, orders.Select(_ => 1.1).ToArray(), 1e-5);

        Assert.Equal(1.32783806176, epsilon, 9);
        Assert.Equal(32, order);
    }

    /// <summary>
    /// Opacus, accountants_test.py, test_get_noise_multiplier_rdp_epochs: ε = 8, δ = 1e-5, q = 0.04, 2,250 steps →
    /// σ = 1.416 (Opacus's search stops within 0.01 of the target ε). FedPS searches to a finer precision, so the
    /// check is that its σ reaches ε ≤ 8, that 0.99·σ does not, and that it lies within Opacus's ε tolerance band.
    /// </summary>
    [Fact]
    public void Finds_the_noise_multiplier_Opacus_finds_for_a_target_epsilon()
    {
        var sigma = RdpAccountant.NoiseMultiplier(8, 0.04, 2250, 1e-5, OpacusOrders);

        Assert.True(RdpAccountant.Epsilon(0.04, sigma, 2250, 1e-5, OpacusOrders).Epsilon <= 8);
        Assert.True(RdpAccountant.Epsilon(0.04, 0.99 * sigma, 2250, 1e-5, OpacusOrders).Epsilon > 8);
        Assert.InRange(sigma, 1.409, 1.4161);
    }

    [Fact]
    public void Epsilon_grows_with_steps_and_shrinks_with_noise()
    {
        double At(double z, long steps) => RdpAccountant.Epsilon(0.1, z, steps, 1e-5).Epsilon;

        Assert.True(At(1.0, 10) < At(1.0, 100));
        Assert.True(At(2.0, 100) < At(1.0, 100));
        Assert.Equal(double.PositiveInfinity, At(0, 10));
        Assert.Equal(0, RdpAccountant.Epsilon(0, 1, 10, 1e-5).Epsilon);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Refuses_a_delta_outside_0_1(double delta)
    {
        var error = Assert.Throws<FedPSException>(() => RdpAccountant.Epsilon(0.1, 1, 10, delta));
        Assert.Contains("TargetDelta must be in (0, 1)", error.Message);
    }
}
