namespace FedPS.Core.Data.Partitioning;

/// <summary>
/// Label skew after Hsu et al. 2019 ("Measuring the effects of non-identical data distribution"): for every
/// class, the shares of its samples going to each client are drawn from Dirichlet(α·1). Small α gives each
/// client few classes; large α approaches IID. A draw that leaves a client empty is redrawn (bounded).
/// </summary>
public sealed class DirichletPartitioner : IPartitioner
{
    private const int MaxAttempts = 100;

    public DirichletPartitioner(double alpha)
    {
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"The Dirichlet concentration α must be a positive finite number (got {alpha}).", alpha);
        }

        Alpha = alpha;
    }

    public double Alpha { get; }

    public string Description => FormattableString.Invariant($"Dirichlet(α={Alpha})");

    public void CheckSizes(int samples, int clients) => PartitionChecks.Validate(samples, clients);

    public int[][] Partition(IReadOnlyList<int> labels, int classCount, int clients, int seed)
    {
        CheckSizes(labels.Count, clients);
        var random = new Random(seed);
        var byClass = Enumerable.Range(0, classCount)
            .Select(c => Enumerable.Range(0, labels.Count).Where(i => labels[i] == c).ToArray())
            .ToArray();

        for (var attempt = 1; ; attempt++)
        {
            var parts = Enumerable.Range(0, clients).Select(_ => new List<int>()).ToArray();
            foreach (var members in byClass)
            {
                var shuffled = members.ToArray();
                PartitionChecks.Shuffle(shuffled, random);
                var shares = Dirichlet.Sample(random, Alpha, clients);
                var start = 0;
                double cumulative = 0;
                for (var client = 0; client < clients; client++)
                {
                    cumulative += shares[client];
                    var end = client == clients - 1 ? shuffled.Length : (int)Math.Round(cumulative * shuffled.Length);
                    end = Math.Clamp(end, start, shuffled.Length);
                    parts[client].AddRange(shuffled[start..end]);
                    start = end;
                }
            }

            if (parts.All(p => p.Count > 0) || attempt == MaxAttempts)
            {
                return PartitionChecks.RequireNonEmpty(parts.Select(p => p.ToArray()).ToArray(), Description);
            }
        }
    }
}

/// <summary>Dirichlet and Gamma sampling on a seeded <see cref="Random"/> (Marsaglia and Tsang 2000).</summary>
public static class Dirichlet
{
    public static double[] Sample(Random random, double alpha, int size)
    {
        var draws = new double[size];
        for (var i = 0; i < size; i++)
        {
            draws[i] = Gamma(random, alpha);
        }

        var sum = draws.Sum();
        if (sum <= 0)
        {
            // Every draw underflowed (α very small): put all the mass on one client, the limit of Dir(α→0).
            draws[random.Next(size)] = 1;
            return draws;
        }

        for (var i = 0; i < size; i++)
        {
            draws[i] /= sum;
        }

        return draws;
    }

    public static double Gamma(Random random, double shape)
    {
        if (shape < 1)
        {
            // Gamma(a) = Gamma(a + 1) · U^(1/a)
            return Gamma(random, shape + 1) * Math.Pow(random.NextDouble(), 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = random.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller; 1 - NextDouble() is in (0, 1], so the log is finite.
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
