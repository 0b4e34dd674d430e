using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using FedPS.Core.Runtime;

namespace FedPS.Cmdlets;

/// <summary>
/// Resolves FedPS's dependencies (FedPS.Core, TorchSharp, ...) from the module's own folder, sets libtorch's
/// threading environment before anything loads it (see <see cref="CpuThreading"/>), and keeps libtorch's native log
/// lines off the terminal (see <see cref="NativeLog"/>).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string ModuleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;

    public void OnImport()
    {
        AssemblyLoadContext.Default.Resolving += Resolve;
        PrepareThreading(); // first: the native environment must be set before any libtorch library loads
        Silence();
    }

    // A method of its own: FedPS.Core resolves through the handler above, which must be in place before this is compiled.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PrepareThreading() => CpuThreading.PrepareNativeEnvironment();

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= Resolve;

    // In its own method so that TorchSharp is resolved only after Resolve is in place.
    private static void Silence() => NativeLog.SilenceWarnings();

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        var candidate = Path.Combine(ModuleFolder, name.Name + ".dll");
        return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
    }
}
