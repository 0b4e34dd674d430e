using FedPS.Core.Data;
using FedPS.Core.Data.Text;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Tokenizers;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;
using FedPS.Core.Tests.Data.Text;

namespace FedPS.Core.Tests.Federation;

public sealed class MiraRunTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-mira-").FullName;

    [Fact]
    public void A_tiny_mira_run_on_two_real_format_tasks_lowers_each_clients_local_loss()
    {
        var (model, clients) = TwoTaskClients();
        using var server = new FedServer(model, clients, new Mira(new MiraOptions { Lambda = 0.1 }), seed: 2);
        var before = server.MeasureClients(test: true).Select(m => m.Loss).ToArray();

        for (var r = 0; r < 4; r++)
        {
            server.RunRound();
        }

        var after = server.MeasureClients(test: true).Select(m => m.Loss).ToArray();
        Assert.All(before.Zip(after), p => Assert.True(p.Second < p.First - 0.1, $"local test loss {p.First} -> {p.Second}"));
        Assert.Equal(server.History[0].BytesUp, 2 * model.TrainableParameterCount * sizeof(float));
    }

    [Fact]
    public void The_global_loss_of_a_personalized_server_is_the_one_its_rounds_report()
    {
        var (model, clients) = TwoTaskClients();
        var test = FedDataset.Concat("all tasks", clients.Select(c => c.Data.Test!).ToArray());
        using var server = new FedServer(model, clients, new Mira(new MiraOptions { Lambda = 0.1 }), test, seed: 2);

        var round = server.RunRound();

        Assert.Equal(round.TestLoss, server.MeasureGlobal(test).Loss);
        Assert.Equal(server.MeasureClients(data: test).Average(m => m.Loss), round.TestLoss, 12);
    }

    [Fact]
    public void Local_only_clients_train_but_send_nothing()
    {
        var (model, clients) = TwoTaskClients();
        using var server = new FedServer(model, clients, Mira.LocalOnly(), seed: 2);

        var round = server.RunRound();

        Assert.Equal(0, round.BytesUp);
        Assert.Equal(0, round.BytesDown);
        Assert.True(double.IsFinite(round.TrainLoss));
    }

    private (FedModel Model, FedClient[] Clients) TwoTaskClients()
    {
        var package = new TextPackage("fixture", "test files", PackageSource.Debian("fixture", "x"), []);
        TextFixtures.WriteDictd(folder, "dict", Enumerable.Range(0, 40)
            .Select(i => ($"w{i}", $"w{i}\nwort{i % 7}\n")).ToArray());
        File.WriteAllText(Path.Combine(folder, "quotes"), string.Join("\n%\n", Enumerable.Range(0, 40).Select(i => $"quote {i % 5} says hello")));
        var translate = new TextTaskDefinition("translate", TextTaskKind.Translation, "fixture", [package], () =>
            DictdReader.Read(Path.Combine(folder, "dict.index"), Path.Combine(folder, "dict.dict.dz"), "fixture")
                .Select(e => new TextExample($"T: {e.Headword}\n", e.Definition.Split('\n')[1], e.Definition)).ToArray());
        var quotes = new TextTaskDefinition("continue", TextTaskKind.Continuation, "fixture", [package], () =>
            FortuneReader.Read(Path.Combine(folder, "quotes"), "fixture").Select(q => new TextExample("C: " + q[..7], q[7..], q)).ToArray());
        var tokenizer = new ByteTokenizer();
        var tasks = new[] { translate, quotes }.Select(t => FedTextTask.Load(t, tokenizer, 24, 32, 8, seed: 1, TorchSharp.torch.CPU)).ToArray();

        var model = new FedModel(ModelSpec.ForGpt(new GptConfig(tokenizer.VocabularySize, 24, 1, 2, 32, "Byte"),
            new LoraSpec(4, 8, 0, LoraTargets.All)), seed: 3);
        var clients = FedClientData.ByTask(tasks.Select(t => (t.Train, (FedDataset?)t.Test)).ToArray(), 1, 0)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 8, Steps = 5, Optimizer = new OptimizerSpec { Name = "Adam", LearningRate = 0.01 } }))
            .ToArray();
        return (model, clients);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
