using MathNet.Numerics;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// A Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov 2017, "Rényi Differential Privacy";
/// Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", Section 3.3), with the
/// conversion to (ε, δ) of Balle, Barthe, Gaboardi, Hsu, Sato 2020 ("Hypothesis Testing Interpretations and Rényi
/// Differential Privacy", Theorem 21) — the computation of TF Privacy / Google's dp_accounting and of Opacus.
/// <para>
/// One step samples each record with probability q and adds N(0, z²) noise to a sum of sensitivity 1. At order α its
/// RDP is ε(α) = log(A_α) / (α − 1) with
/// <code>
///   A_α = Σ_{k=0}^{α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k) / (2z²))                          integer α
///   A_α = Σ_{i≥0} C(α, i) [ (1−q)^{α−i} q^i exp((i²−i)/(2z²)) · ½ erfc((i − z₀)/(√2 z))
///                          + (1−q)^{i} q^{α−i} exp(((α−i)²−(α−i))/(2z²)) · ½ erfc((z₀ − (α−i))/(√2 z)) ]
///        with z₀ = z² log(1/q − 1) + ½                                                            fractional α
///   ε(α) = α / (2z²)   when q = 1 (the plain Gaussian mechanism);   0 when q = 0;   ∞ when z = 0
/// </code>
/// T steps compose additively, ε_T(α) = T·ε(α), and the guarantee at δ is the best order:
/// <code>
///   ε = min_α  ε_T(α) + log((α − 1)/α) − (log δ + log α) / (α − 1)                (Balle et al. 2020, Thm 21)
/// </code>
/// (with TF Privacy's guards: ε = 0 where δ² + expm1(−ε_T(α)) &gt; 0, and orders α ≤ 1.01 skipped). erfc and the
/// log-binomial come from MathNet.Numerics; a log-erfc tail series takes over where erfc underflows.
/// </para>
/// </summary>
public sealed class RdpAccountant
{
    /// <summary>The conversion used, as results name it.</summary>
    public const string Conversion = "RDP → (ε, δ): Balle et al. 2020, Theorem 21";

    private readonly double[] rdp;

    /// <param name="orders">The RDP orders α &gt; 1 to optimise over; <see cref="DefaultOrders"/> when null.</param>
    public RdpAccountant(IReadOnlyList<double>? orders = null)
    {
        var chosen = (orders ?? DefaultOrders).ToArray();
        if (chosen.Length == 0 || chosen.Any(a => !(a > 1)))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, "RDP orders must all be greater than 1.", orders);
        }

        Orders = chosen;
        rdp = new double[chosen.Length];
    }

    /// <summary>
    /// Opacus's orders (1.1, 1.2, …, 10.9, then 12, 13, …, 63) and TF Privacy's large ones (64, 128, 256, 512), so
    /// the ε found is never looser than either library's default.
    /// </summary>
    public static IReadOnlyList<double> DefaultOrders { get; } =
        Enumerable.Range(1, 99).Select(x => 1 + (x / 10.0))
            .Concat(Enumerable.Range(12, 52).Select(x => (double)x))
            .Concat([64.0, 128.0, 256.0, 512.0])
            .ToArray();

    public IReadOnlyList<double> Orders { get; }

    /// <summary>The RDP accumulated so far, order by order.</summary>
    public IReadOnlyList<double> Rdp => rdp;

    /// <summary>Adds <paramref name="steps"/> steps of the subsampled Gaussian mechanism with rate q and multiplier z.</summary>
    public RdpAccountant Compose(double sampleRate, double noiseMultiplier, long steps = 1)
    {
        CheckMechanism(sampleRate, noiseMultiplier, steps);
        var step = StepRdp(sampleRate, noiseMultiplier, Orders);
        for (var i = 0; i < rdp.Length; i++)
        {
            rdp[i] += steps * step[i];
        }

        return this;
    }

    /// <summary>ε at <paramref name="delta"/> for what was composed, and the order that gives it.</summary>
    public (double Epsilon, double Order) Epsilon(double delta) => ToEpsilon(Orders, rdp, delta);

    /// <summary>ε at δ after <paramref name="steps"/> steps with rate q and multiplier z (a fresh accountant).</summary>
    public static (double Epsilon, double Order) Epsilon(double sampleRate, double noiseMultiplier, long steps, double delta,
        IReadOnlyList<double>? orders = null) =>
        new RdpAccountant(orders).Compose(sampleRate, noiseMultiplier, steps).Epsilon(delta);

    /// <summary>
    /// The smallest noise multiplier z (to a relative precision of <paramref name="tolerance"/>) whose ε after
    /// <paramref name="steps"/> steps at rate q is at most <paramref name="targetEpsilon"/> at δ: ε(z) decreases
    /// with z, so z is bracketed by doubling and then bisected, always keeping ε(z) ≤ target.
    /// </summary>
    public static double NoiseMultiplier(double targetEpsilon, double sampleRate, long steps, double delta,
        IReadOnlyList<double>? orders = null, double tolerance = 1e-6)
    {
        if (!(targetEpsilon > 0) || !double.IsFinite(targetEpsilon))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"The target ε must be positive and finite (got {targetEpsilon})."), targetEpsilon);
        }

        CheckMechanism(sampleRate, 1, steps);
        CheckDelta(delta);
        double At(double z) => Epsilon(sampleRate, z, steps, delta, orders).Epsilon;
        double low = 0, high = 1;
        while (At(high) > targetEpsilon)
        {
            (low, high) = (high, high * 2);
            if (high > 1e6)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument, FormattableString.Invariant(
                    $"No noise multiplier up to 1e6 reaches ε = {targetEpsilon} at δ = {delta} over {steps} steps at sample rate {sampleRate}."), targetEpsilon);
            }
        }

        while (high - low > tolerance * high)
        {
            var middle = (low + high) / 2;
            if (At(middle) > targetEpsilon)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return high;
    }

    /// <summary>The RDP of one step at each order.</summary>
    public static double[] StepRdp(double q, double z, IReadOnlyList<double> orders) =>
        orders.Select(alpha => q == 0 ? 0
            : z == 0 ? double.PositiveInfinity
            : q == 1 ? alpha / (2 * z * z)
            : LogA(q, z, alpha) / (alpha - 1)).ToArray();

    /// <summary>Balle et al. 2020, Theorem 21: the best ε over the orders, and the order that gives it.</summary>
    public static (double Epsilon, double Order) ToEpsilon(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta)
    {
        CheckDelta(delta);
        var best = (Epsilon: double.PositiveInfinity, Order: double.NaN);
        for (var i = 0; i < orders.Count; i++)
        {
            var (a, r) = (orders[i], rdp[i]);
            var epsilon = double.IsNaN(r) ? double.PositiveInfinity
                : r < 0 || (delta * delta) + SpecialFunctions.Expm1(-r) > 0 ? 0
                : a > 1.01 ? r + Math.Log(1 - (1 / a)) - (Math.Log(delta * a) / (a - 1))
                : double.PositiveInfinity;
            if (epsilon < best.Epsilon)
            {
                best = (epsilon, a);
            }
        }

        return (Math.Max(0, best.Epsilon), best.Order);
    }

    private static double LogA(double q, double z, double alpha) =>
        alpha == Math.Floor(alpha) ? LogAInteger(q, z, (int)alpha) : LogAFractional(q, z, alpha);

    private static double LogAInteger(double q, double z, int alpha)
    {
        var logA = double.NegativeInfinity;
        for (var k = 0; k <= alpha; k++)
        {
            var term = SpecialFunctions.BinomialLn(alpha, k) + (k * Math.Log(q)) + ((alpha - k) * Math.Log(1 - q)) + (((double)k * k) - k) / (2 * z * z);
            logA = LogAdd(logA, term);
        }

        return logA;
    }

    private static double LogAFractional(double q, double z, double alpha)
    {
        double logA0 = double.NegativeInfinity, logA1 = double.NegativeInfinity;
        var z0 = (z * z * Math.Log((1 / q) - 1)) + 0.5;
        var coefficient = 1.0; // C(α, i), built up as C(α, i+1) = C(α, i)·(α − i)/(i + 1); it changes sign past α
        for (var i = 0; i < 1000; i++)
        {
            var j = alpha - i;
            var logCoefficient = Math.Log(Math.Abs(coefficient));
            var logT0 = logCoefficient + (i * Math.Log(q)) + (j * Math.Log(1 - q));
            var logT1 = logCoefficient + (j * Math.Log(q)) + (i * Math.Log(1 - q));
            var logE0 = Math.Log(0.5) + LogErfc((i - z0) / (Math.Sqrt(2) * z));
            var logE1 = Math.Log(0.5) + LogErfc((z0 - j) / (Math.Sqrt(2) * z));
            var logS0 = logT0 + ((((double)i * i) - i) / (2 * z * z)) + logE0;
            var logS1 = logT1 + (((j * j) - j) / (2 * z * z)) + logE1;
            if (coefficient > 0)
            {
                logA0 = LogAdd(logA0, logS0);
                logA1 = LogAdd(logA1, logS1);
            }
            else
            {
                logA0 = LogSub(logA0, logS0);
                logA1 = LogSub(logA1, logS1);
            }

            if (Math.Max(logS0, logS1) < -30)
            {
                return LogAdd(logA0, logA1);
            }

            coefficient *= (alpha - i) / (i + 1);
        }

        return double.PositiveInfinity; // did not converge: the order is left out (its ε is ∞)
    }

    /// <summary>log(erfc(x)), accurate where erfc underflows (the asymptotic series TF Privacy uses).</summary>
    internal static double LogErfc(double x)
    {
        if (x < 20)
        {
            return Math.Log(SpecialFunctions.Erfc(x));
        }

        var x2 = x * x;
        return (-Math.Log(Math.PI) / 2) - Math.Log(x) - x2 - (0.5 / x2) + (0.625 / (x2 * x2)) - (37.0 / 24.0 / (x2 * x2 * x2)) + (353.0 / 64.0 / (x2 * x2 * x2 * x2));
    }

    private static double LogAdd(double x, double y)
    {
        var (a, b) = (Math.Min(x, y), Math.Max(x, y));
        return double.IsNegativeInfinity(a) ? b : Math.Log(1 + Math.Exp(a - b)) + b;
    }

    private static double LogSub(double x, double y) =>
        double.IsNegativeInfinity(y) ? x
        : x <= y ? double.NegativeInfinity
        : Math.Log(Math.Exp(x - y) - 1) + y;

    private static void CheckMechanism(double sampleRate, double noiseMultiplier, long steps)
    {
        if (!(sampleRate is >= 0 and <= 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"The sample rate must be in [0, 1] (got {sampleRate})."), sampleRate);
        }

        if (!(noiseMultiplier >= 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"NoiseMultiplier must be non-negative and finite (got {noiseMultiplier})."), noiseMultiplier);
        }

        if (steps < 0)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"The number of steps must be at least 0 (got {steps}).", steps);
        }
    }

    /// <summary>Fails unless 0 &lt; δ &lt; 1.</summary>
    public static void CheckDelta(double delta)
    {
        if (!(delta is > 0 and < 1))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"TargetDelta must be in (0, 1) (got {delta})."), delta);
        }
    }
}
