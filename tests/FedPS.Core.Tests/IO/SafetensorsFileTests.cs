using System.Text;
using FedPS.Core.IO;
using FedPS.Core.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FedPS.Core.Tests.IO;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-safetensors-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Files_round_trip_with_an_independent_implementation_in_both_directions()
    {
        using var a = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        using var b = tensor(new long[] { 7, -1 });
        var ours = Path.Combine(folder, "ours.safetensors");
        using (var file = File.Create(ours))
        {
            SafetensorsFile.Write(file, [("a", a), ("b", b)], new Dictionary<string, string> { ["format"] = "pt" });
        }

        var theirs = Path.Combine(folder, "theirs.safetensors");
        Safetensors.SaveStateDict(theirs, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });

        foreach (var loaded in new[] { SafetensorsFile.Load(theirs), Safetensors.LoadStateDict(ours) })
        {
            Assert.True(loaded["a"].equal(a).all().item<bool>());
            Assert.True(loaded["b"].equal(b).all().item<bool>());
            Assert.Equal(ScalarType.Int64, loaded["b"].dtype);
        }
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "empty", "fewer than the 8-byte header length" },
        { "seven bytes", "fewer than the 8-byte header length" },
        { "text", "header length" },
        { "header longer than the file", "header length" },
        { "header not JSON", "not valid JSON" },
        { "header a list", "not a JSON object" },
        { "no dtype", "needs a dtype, a shape and two data_offsets" },
        { "unknown dtype", "dtype 'F8'" },
        { "negative dimension", "not a list of non-negative integers" },
        { "rank nine", "more than 8" },
        { "range beyond the data", "outside the 16 bytes of data" },
        { "range reversed", "byte range [8, 4)" },
        { "shape and range disagree", "declares the shape [3] of F32 (12 bytes) but the byte range holds 16" },
        { "shape overflows", "too large to exist" },
        { "tensors overlap", "overlap or leave a gap" },
        { "bytes left over", "cover 8 bytes of data, but the file holds 16" },
        { "metadata not strings", "__metadata__ is not a map of strings" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_refused_with_its_name_before_anything_is_allocated(string kind, string reason)
    {
        var path = Path.Combine(folder, kind.Replace(' ', '-') + ".safetensors");
        File.WriteAllBytes(path, Bad(kind));

        var error = Assert.Throws<FedPSException>(() => SafetensorsFile.Load(path));

        Assert.Equal(FedErrorKind.InvalidData, error.Kind);
        Assert.Equal(path, error.Target);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Import_of_a_GPT_folder_with_a_bad_weights_file_names_the_file(string kind, string reason)
    {
        var model = Path.Combine(folder, "model");
        GptCheckpoint.Save(model, new FedModel(ModelSpec.ForGpt(new GptConfig(11, 6, 1, 2, 8, "Byte")), 1).Weights,
            new GptConfig(11, 6, 1, 2, 8, "Byte"), null);
        var weights = Path.Combine(model, GptCheckpoint.WeightsFile);
        File.WriteAllBytes(weights, Bad(kind));

        var error = Assert.Throws<FedPSException>(() => GptCheckpoint.Load(model, null, 0));

        Assert.Equal(weights, error.Target);
        Assert.Contains(reason, error.Message);
    }

    private static byte[] Bad(string kind) => kind switch
    {
        "empty" => [],
        "seven bytes" => [1, 2, 3, 4, 5, 6, 7],
        "text" => Encoding.UTF8.GetBytes("This is a text file that someone named model.safetensors by mistake.\n"),
        "header longer than the file" => [.. BitConverter.GetBytes(1000UL), .. Encoding.UTF8.GetBytes("{}")],
        "header not JSON" => Layout("{\"a\": ", 0),
        "header a list" => Layout("[1, 2, 3]", 0),
        "no dtype" => Layout("{\"a\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8),
        "unknown dtype" => Layout("{\"a\": {\"dtype\": \"F8\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2),
        "negative dimension" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8),
        "rank nine" => Layout("{\"a\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 1]}}", 1),
        "range beyond the data" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [400000000000], \"data_offsets\": [0, 1600000000000]}}", 16),
        "range reversed" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 16),
        "shape and range disagree" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}}", 16),
        "shape overflows" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 16]}}", 16),
        "tensors overlap" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 16),
        "bytes left over" => Layout("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 16),
        "metadata not strings" => Layout("{\"__metadata__\": {\"n\": 1}}", 0),
        _ => throw new ArgumentException(kind),
    };

    private static byte[] Layout(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[dataBytes]];
    }
}
