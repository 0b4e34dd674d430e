using System.Text.Json;
using System.Text.Json.Nodes;
using FedPS.Core.IO;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// A model checkpoint folder: model.safetensors plus config.json, for every architecture. A Gpt is written in
/// GPT-2's layout with Hugging Face's config keys (<see cref="GptCheckpoint"/>), so GPT-2 tools read it; an Mlp or
/// Cnn keeps FedPS's tensor names, and its config.json holds what rebuilds it:
/// <c>{"model_type": "fedps", "architecture": "Mlp", "input_shape": [1, 8, 8], "classes": 10, "hidden_sizes": [200, 200]}</c>.
/// Both are written file by file atomically, and read with every size checked before anything is allocated.
/// </summary>
public static class ModelCheckpoint
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";

    /// <summary>The model_type of an Mlp or Cnn checkpoint (a Gpt's is GPT-2's, "gpt2").</summary>
    public const string FedPSModelType = "fedps";

    private const int MaxConfigBytes = 1 << 20;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="weights"/> (a network of <paramref name="spec"/>: LoRA adapters merged for a Gpt) into <paramref name="folder"/>.</summary>
    public static void Save(string folder, ModelSpec spec, IReadOnlyDictionary<string, Tensor> weights)
    {
        if (spec.Gpt is { } config)
        {
            GptCheckpoint.Save(folder, weights, config, spec.Lora);
            return;
        }

        CreateFolder(folder);
        FileWrites.Replace(Path.Combine(folder, WeightsFile), temp =>
        {
            using var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
            SafetensorsFile.Write(file, weights.Select(p => (p.Key, p.Value)).ToArray(), new Dictionary<string, string> { ["format"] = "pt" });
        });
        WriteConfig(folder, new JsonObject
        {
            ["model_type"] = FedPSModelType,
            ["architecture"] = spec.Architecture,
            ["input_shape"] = new JsonArray([.. spec.InputShape.Select(d => JsonValue.Create(d))]),
            ["classes"] = spec.Classes,
            ["hidden_sizes"] = new JsonArray([.. spec.HiddenSizes.Select(d => JsonValue.Create(d))]),
        });
    }

    /// <summary>
    /// Loads a checkpoint folder (or the folder of the model.safetensors given) as a model: an Mlp or Cnn written by
    /// FedPS, or a GPT (FedPS's or Hugging Face's GPT-2 layout), with fresh LoRA adapters (seeded) when
    /// <paramref name="lora"/> is given.
    /// </summary>
    public static FedModel Load(string folder, LoraSpec? lora, int seed)
    {
        var json = ReadConfig(folder);
        var path = Path.Combine(folder, ConfigFile);
        if (json["model_type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() != FedPSModelType)
        {
            return GptCheckpoint.Load(folder, GptCheckpoint.ReadConfig(json, path), lora, seed);
        }

        ModelSpec spec;
        try
        {
            spec = new ModelSpec(
                ModelSpec.Canonical(json["architecture"]?.GetValue<string>() ?? throw Missing(path, "architecture")),
                Numbers(json, "input_shape", path), json["classes"]?.GetValue<int>() ?? throw Missing(path, "classes"),
                Numbers(json, "hidden_sizes", path)) { Lora = lora }.Validated(); // a model too large for memory is refused before reading weights
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new FedPSException(FedErrorKind.InvalidData, $"'{path}' is not a valid FedPS model config.json: {ex.Message}", path, ex);
        }

        var weights = ReadWeights(folder);
        try
        {
            return new FedModel(spec, seed, weights);
        }
        finally
        {
            foreach (var tensor in weights.Values)
            {
                tensor.Dispose();
            }
        }
    }

    internal static void CreateFolder(string folder)
    {
        if (File.Exists(folder))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Cannot write a checkpoint folder at '{folder}': it is a file.", folder);
        }

        FileWrites.Guard(folder, () => Directory.CreateDirectory(folder));
    }

    internal static void WriteConfig(string folder, JsonObject json) =>
        FileWrites.Replace(Path.Combine(folder, ConfigFile), temp => File.WriteAllText(temp, json.ToJsonString(Indented)));

    /// <summary>config.json of a checkpoint folder, as a JSON object; at most <see cref="MaxConfigBytes"/>.</summary>
    internal static JsonObject ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"'{folder}' is not a model checkpoint folder: '{path}' is missing.", path);
        }

        if (new FileInfo(path).Length > MaxConfigBytes)
        {
            throw new FedPSException(FedErrorKind.LimitExceeded, $"'{path}' has more than {MaxConfigBytes:N0} bytes; a model's config.json has a few hundred.", path);
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new FedPSException(FedErrorKind.InvalidData, $"'{path}' is not a JSON object of model settings.", path);
        }
        catch (JsonException ex)
        {
            throw new FedPSException(FedErrorKind.InvalidData, $"'{path}' is not a valid config.json: {ex.Message}", path, ex);
        }
    }

    /// <summary>The tensors of model.safetensors, each size checked against the file first.</summary>
    internal static Dictionary<string, Tensor> ReadWeights(string folder)
    {
        var path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"'{folder}' is not a model checkpoint folder: '{path}' is missing.", path);
        }

        return SafetensorsFile.Load(path);
    }

    private static int[] Numbers(JsonObject json, string key, string path) =>
        (json[key] as JsonArray ?? throw Missing(path, key)).Select(n => n?.GetValue<int>() ?? throw Missing(path, key)).ToArray();

    private static FedPSException Missing(string path, string key) =>
        new(FedErrorKind.InvalidData, $"'{path}' has no '{key}' (a list of whole numbers for shapes, a number for classes).", path);
}
