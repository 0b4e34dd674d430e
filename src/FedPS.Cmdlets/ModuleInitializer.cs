using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace FedPS.Cmdlets;

/// <summary>Resolves FedPS's dependencies (FedPS.Core, TorchSharp, ...) from the module's own folder.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string ModuleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;

    public void OnImport() => AssemblyLoadContext.Default.Resolving += Resolve;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= Resolve;

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        var candidate = Path.Combine(ModuleFolder, name.Name + ".dll");
        return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
    }
}
