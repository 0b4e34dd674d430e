using System.Collections;
using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Experiments;

namespace FedPS.Cmdlets.Commands;

/// <summary>Reads -Config (a YAML path or a hashtable): shared by the experiment cmdlets.</summary>
internal static class ConfigParameter
{
    public static ExperimentConfig Read(PSCmdlet cmdlet, object config)
    {
        var value = config is PSObject ps ? ps.BaseObject : config;
        return value switch
        {
            IDictionary map => ExperimentConfig.FromDictionary(map),
            string path => ExperimentConfig.Load(cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path)),
            FileInfo file => ExperimentConfig.Load(file.FullName),
            _ => throw new FedPSException(FedErrorKind.InvalidArgument,
                "-Config takes the path of a YAML file or a hashtable of settings.", config),
        };
    }

    public static ExperimentPlan Expand(PSCmdlet cmdlet, object config, bool force) =>
        Read(cmdlet, config).Expand(ExperimentConfig.DefaultMaxRuns, force);
}
