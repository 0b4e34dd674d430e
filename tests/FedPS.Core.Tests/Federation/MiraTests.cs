using FedPS.Core;
using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.Federation;

public sealed class MiraTests
{
    // Three clients with one two-element "adapter" tensor each: W₀ = (1, 2), W₁ = (3, 6), W₂ = (−1, 4).
    private static readonly float[][] Start = [[1, 2], [3, 6], [-1, 4]];

    private static FedClient[] Clients(int count) =>
        FedClientData.Split(TestData.Blobs(30, seed: 1), new IidPartitioner(), count, 0)
            .Select(d => new FedClient(d, new LocalTrainingSpec())).ToArray();

    private static float[][] Step(Mira mira, float[][] start)
    {
        var clients = Clients(start.Length);
        using var initial = new ParameterSet([("w", zeros(2))]);
        mira.Initialize(initial, clients, clients.Length);
        Updates.Aggregate(mira, 1, start.Select((w, k) => Updates.Of32(k, clients[k].SampleCount, w)).ToArray());

        return clients.Select(c => mira.ParametersFor(c.Id).Tensors[0].Value.data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void The_server_step_equals_the_formula_on_hand_made_tensors()
    {
        double[][] a = [[0, 1, 0.5], [1, 0, 2], [0.5, 2, 0]];
        using var mira = new Mira(new MiraOptions { Lambda = 0.1, StepSize = 0.5, AdjacencyMatrix = a });

        var result = Step(mira, Start);

        for (var k = 0; k < 3; k++)
        {
            for (var i = 0; i < 2; i++)
            {
                var pull = Enumerable.Range(0, 3).Sum(l => a[k][l] * (Start[k][i] - Start[l][i]));
                Assert.Equal(Start[k][i] - (0.5 * 0.1 * pull), result[k][i], 5);
            }
        }
    }

    [Fact]
    public void Lambda_zero_leaves_every_adapter_as_its_client_returned_it()
    {
        using var localOnly = Mira.LocalOnly();

        var result = Step(localOnly, Start);

        Assert.Equal(Start, result);
        Assert.Equal("LocalOnly", localOnly.Name);
    }

    [Fact]
    public void On_a_complete_uniform_graph_eta_lambda_one_over_K_lands_every_client_on_the_average()
    {
        using var mira = new Mira(new MiraOptions { Lambda = 1.0 / 3, StepSize = 1.0 });

        var result = Step(mira, Start);

        Assert.All(result, w =>
        {
            Assert.Equal(1f, w[0], 5);
            Assert.Equal(4f, w[1], 5);
        });
    }

    [Fact]
    public void Each_client_keeps_its_own_adapter_in_the_checkpoint_state()
    {
        using var mira = new Mira(new MiraOptions { Lambda = 0.1 });
        Step(mira, Start);

        var state = mira.StateTensors().ToDictionary(t => t.Name, t => t.Value.clone());
        using var restored = new Mira(new MiraOptions { Lambda = 0.1 });
        Step(restored, [[0, 0], [0, 0], [0, 0]]);
        restored.LoadStateTensors(state);

        Assert.Contains("clients/2/w", state.Keys);
        Assert.All(Enumerable.Range(0, 3), k =>
            Assert.True(restored.ParametersFor(k).Tensors[0].Value.equal(mira.ParametersFor(k).Tensors[0].Value).all().item<bool>()));
    }

    [Theory]
    [InlineData(0.5, false)]
    [InlineData(0.4, true)]
    public void A_graph_step_that_would_diverge_is_refused_and_one_that_overshoots_warns(double lambda, bool starts)
    {
        // Complete graph on 3 clients: μ_max(L) = 3, so η·λ·μ_max = 1.5 (overshoots) at λ = 0.5 ... and 2 diverges.
        using var mira = new Mira(new MiraOptions { Lambda = lambda, StepSize = 2.0 / 1.5 });
        var clients = Clients(3);
        using var initial = new ParameterSet([("w", zeros(2))]);

        if (!starts)
        {
            var error = Assert.Throws<FedPSException>(() => mira.Initialize(initial, clients, 3));
            Assert.Contains("diverges", error.Message);
            return;
        }

        mira.Initialize(initial, clients, 3);
        Assert.Contains(mira.Warnings, w => w.Contains("overshoots"));
    }
}
