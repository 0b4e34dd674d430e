namespace FedPS.Core.Data;

/// <summary>Where installed datasets live: <c>$FEDPS_DATA</c>, else the user's local data folder.</summary>
public static class DataPaths
{
    public const string EnvironmentVariable = "FEDPS_DATA";

    public static string Root
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(overridden))
            {
                return Path.GetFullPath(overridden);
            }

            var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData,
                Environment.SpecialFolderOption.DoNotVerify);
            return Path.Combine(local, "FedPS", "data");
        }
    }

    public static string For(string dataset) => Path.Combine(Root, dataset);
}
