using FedPS.Core.Data;
using FedPS.Core.Data.Partitioning;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;

namespace FedPS.Core.Tests.Simulation;

public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-ckpt-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static FedServer Server(int seed = 1, int hidden = 8, int? partitionSeed = null)
    {
        var train = TestData.Blobs(300, seed: 5);
        var model = new FedModel(new ModelSpec("Mlp", [1, 4, 4], 3, [hidden]), seed);
        var clients = FedClientData.Split(train, new DirichletPartitioner(1.0), 3, partitionSeed ?? seed)
            .Select(d => new FedClient(d, new LocalTrainingSpec { BatchSize = 16, Optimizer = OptimizerSpec.Sgd(0.1, 0.9) }))
            .ToArray();
        return new FedServer(model, clients, new FedAvg(), TestData.Blobs(100, seed: 5, split: "test"), 0.67, seed);
    }

    [Fact]
    public void A_restored_server_continues_bit_identically()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var straight = Server();
        using var resumed = Server();
        for (var r = 0; r < 2; r++)
        {
            straight.RunRound();
        }

        Checkpoint.Save(straight, path);
        Checkpoint.Restore(resumed, path);
        var a = Enumerable.Range(0, 2).Select(_ => straight.RunRound()).ToArray();
        var b = Enumerable.Range(0, 2).Select(_ => resumed.RunRound()).ToArray();

        Assert.Equal(4, resumed.Round);
        Assert.Equal(a.Select(r => (r.TrainLoss, r.TestLoss)), b.Select(r => (r.TrainLoss, r.TestLoss)));
        Assert.Equal(Checkpoint.Fingerprint(straight.Strategy.Global.Values), Checkpoint.Fingerprint(resumed.Strategy.Global.Values));
    }

    [Fact]
    public void A_corrupt_checkpoint_is_reported_by_its_checksum()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server();
        server.RunRound();
        Checkpoint.Save(server, path);
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<FedPSException>(() => Checkpoint.Restore(Server(), path));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public void A_truncated_checkpoint_is_reported_not_crashed_on()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server();
        Checkpoint.Save(server, path);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);

        Assert.Equal(FedErrorKind.InvalidData, Assert.Throws<FedPSException>(() => Checkpoint.Read(path)).Kind);
    }

    [Fact]
    public void A_checkpoint_of_another_run_is_refused()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server(seed: 1);
        Checkpoint.Save(server, path, config: "{\"a\":1}");

        using var other = Server(seed: 2);
        Assert.Contains("seed 1, not 2", Assert.Throws<FedPSException>(() => Checkpoint.Restore(other, path)).Message);
        using var same = Server(seed: 1);
        Assert.Contains("different experiment config",
            Assert.Throws<FedPSException>(() => Checkpoint.Restore(same, path, "{\"a\":2}")).Message);
    }

    [Fact]
    public void The_file_is_safetensors_with_the_global_parameters()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server();
        Checkpoint.Save(server, path);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var names = header.RootElement.EnumerateObject().Select(p => p.Name).ToArray();

        Assert.Contains("__metadata__", names);
        Assert.All(server.Strategy.Global.Tensors, t => Assert.Contains("global/" + t.Name, names));
        Assert.Equal("F32", header.RootElement.GetProperty("global/" + server.Strategy.Global.Tensors[0].Name).GetProperty("dtype").GetString());
    }

    [Fact]
    public void A_checkpoint_whose_tensor_shape_was_edited_is_refused_by_its_digest()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server();
        Checkpoint.Save(server, path);

        // fc1's weight is [8, 16]: as [16, 8] it has the same bytes and the header the same length.
        EditHeader(path, header => header["global/layers.fc1.weight"]!["shape"] = new System.Text.Json.Nodes.JsonArray(16, 8));

        var error = Assert.Throws<FedPSException>(() => Checkpoint.Restore(Server(), path));
        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public void A_checkpoint_declaring_a_huge_shape_is_refused_before_anything_is_allocated()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server();
        Checkpoint.Save(server, path);
        EditHeader(path, header => header["global/layers.fc1.weight"]!["shape"] = new System.Text.Json.Nodes.JsonArray(100_000_000, 1_000));

        var error = Assert.Throws<FedPSException>(() => Checkpoint.Read(path));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Contains("[100000000, 1000]", error.Message);
        Assert.Equal(path, error.Target);
    }

    [Fact]
    public void Restoring_into_a_server_with_another_model_names_the_difference()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server(hidden: 8);
        Checkpoint.Save(server, path);

        var error = Assert.Throws<FedPSException>(() => Checkpoint.Restore(Server(hidden: 16), path));

        Assert.Contains("another model (HiddenSizes was [8], is now [16])", error.Message);
        Assert.DoesNotContain("frame #", error.Message);
    }

    [Fact]
    public void Restoring_into_a_server_whose_data_is_divided_otherwise_is_refused()
    {
        var path = Path.Combine(folder, "c.safetensors");
        using var server = Server(partitionSeed: 1);
        Checkpoint.Save(server, path);

        var error = Assert.Throws<FedPSException>(() => Checkpoint.Restore(Server(partitionSeed: 2), path));

        Assert.Contains("another division of the data among the clients", error.Message);
    }

    private static void EditHeader(string path, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        var header = System.Text.Json.Nodes.JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        edit(header);
        var edited = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)edited.Length), .. edited, .. bytes.AsSpan(8 + length)]);
    }
}
