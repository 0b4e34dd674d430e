using FedPS.Core.Data;

namespace FedPS.Core.Federation;

/// <summary>How Mira weighs the pull between two clients' adapters (the task-similarity graph a_kℓ).</summary>
public enum AdjacencyKind
{
    /// <summary>a_kℓ = 1 for every pair: a complete graph (the default — it assumes nothing about the tasks).</summary>
    Uniform,

    /// <summary>A K×K matrix the user gives, rows and columns in client-id order.</summary>
    Matrix,

    /// <summary>Cosine similarity of the clients' response-token histograms (computed from the data, before training).</summary>
    TokenSimilarity,
}

/// <summary>The adjacency of Mira's task graph: which kind, and the user's matrix for <see cref="AdjacencyKind.Matrix"/>.</summary>
public sealed record AdjacencySpec(AdjacencyKind Kind, double[][]? Matrix = null)
{
    public static AdjacencySpec Uniform { get; } = new(AdjacencyKind.Uniform);

    /// <summary>The K×K weights for <paramref name="clients"/> (ordered by id); the diagonal is irrelevant to the Laplacian step.</summary>
    public double[,] For(IReadOnlyList<FedClient> clients)
    {
        var k = clients.Count;
        var a = new double[k, k];
        switch (Kind)
        {
            case AdjacencyKind.Uniform:
                Fill(a, (_, _) => 1.0);
                break;
            case AdjacencyKind.Matrix:
                if (Matrix is null || Matrix.Length != k || Matrix.Any(row => row.Length != k))
                {
                    throw new FedPSException(FedErrorKind.InvalidArgument,
                        $"The adjacency matrix must be {k}×{k}, one row and column per client in id order.", Matrix);
                }

                if (Matrix.SelectMany(row => row).Any(v => !(v >= 0) || !double.IsFinite(v)))
                {
                    throw new FedPSException(FedErrorKind.InvalidArgument, "Adjacency weights must be finite and non-negative.", Matrix);
                }

                Fill(a, (i, j) => Matrix[i][j]);
                break;
            case AdjacencyKind.TokenSimilarity:
                var histograms = clients.Select(c => c.Data.LabelHistogram).ToArray();
                Fill(a, (i, j) => Cosine(histograms[i], histograms[j]));
                break;
        }

        return a;
    }

    private static void Fill(double[,] a, Func<int, int, double> value)
    {
        for (var i = 0; i < a.GetLength(0); i++)
        {
            for (var j = 0; j < a.GetLength(1); j++)
            {
                a[i, j] = value(i, j);
            }
        }
    }

    private static double Cosine(int[] x, int[] y)
    {
        double dot = 0, xx = 0, yy = 0;
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            dot += (double)x[i] * y[i];
            xx += (double)x[i] * x[i];
            yy += (double)y[i] * y[i];
        }

        return xx > 0 && yy > 0 ? dot / Math.Sqrt(xx * yy) : 0;
    }

    public override string ToString() => Kind.ToString();
}
