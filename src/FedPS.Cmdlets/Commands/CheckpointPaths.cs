namespace FedPS.Cmdlets.Commands;

/// <summary>The two ways to name the server and the file, shared by Save- and Restore-FedCheckpoint.</summary>
internal static class CheckpointPaths
{
    /// <summary>The server from the pipeline, the path first: PowerShell's convention (<c>$server | Save-FedCheckpoint ./x</c>).</summary>
    public const string PipelineSet = "Pipeline";

    /// <summary>The server, then the path, both by position (<c>Save-FedCheckpoint $server ./x</c>).</summary>
    public const string ServerFirstSet = "ServerFirst";
}
