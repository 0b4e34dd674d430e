namespace FedPS.Core;

/// <summary>The first setting two JSON documents (resolved configs, model specs) disagree on, for error messages and labels.</summary>
public static class JsonDiff
{
    public static string First(string oldJson, string newJson) =>
        Find(oldJson, newJson) is { } d ? $"{d.Path} was {d.Old}, is now {d.New}" : "no setting differs";

    /// <summary>The first differing setting's path and its two values (as JSON), or null when the configs are equal.</summary>
    public static (string Path, string Old, string New)? Find(string oldJson, string newJson) =>
        Walk(System.Text.Json.Nodes.JsonNode.Parse(oldJson), System.Text.Json.Nodes.JsonNode.Parse(newJson), string.Empty);

    private static (string, string, string)? Walk(System.Text.Json.Nodes.JsonNode? a, System.Text.Json.Nodes.JsonNode? b, string path)
    {
        if (a is System.Text.Json.Nodes.JsonObject x && b is System.Text.Json.Nodes.JsonObject y)
        {
            foreach (var key in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
            {
                if (Walk(x[key], y[key], path.Length == 0 ? key : $"{path}.{key}") is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        var left = a?.ToJsonString() ?? "(none)";
        var right = b?.ToJsonString() ?? "(none)";
        return left == right ? null : (path, left, right);
    }
}
