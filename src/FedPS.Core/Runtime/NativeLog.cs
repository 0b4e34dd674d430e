using System.Runtime.InteropServices;
using TorchSharp;

namespace FedPS.Core.Runtime;

/// <summary>
/// Keeps libtorch's own log lines off the process's stderr. c10 prints every warning (TORCH_WARN) and info line
/// with fprintf(stderr) from native code, where PowerShell's redirections (2&gt;$null) cannot reach, e.g. the
/// "[W... TensorBody.h] Warning: The .grad attribute of a Tensor that is not a leaf Tensor" lines PowerShell
/// triggers by reading every property of a tensor. c10 drops messages below <c>FLAGS_caffe2_log_level</c> (the
/// flag TORCH_CPP_LOG_LEVEL sets, read only at load, before .NET could set the variable), so raising it to
/// ERROR silences warnings and info. Errors are exceptions, which FedPS reports itself. Only libc10 is loaded
/// to set the flag (libtorch later binds to that same copy), so importing the module does not start libtorch.
/// </summary>
public static class NativeLog
{
    private const string LevelFlag = "FLAGS_caffe2_log_level";
    private const int Error = 2; // c10::GLOG_ERROR (INFO 0, WARNING 1, ERROR 2, FATAL 3)
    private static readonly string[] C10Names = ["libc10.so", "c10.dll", "libc10.dylib"];

    /// <summary>Silences libtorch's warnings for the rest of the process; false when the flag is not found (another libtorch build).</summary>
    public static bool SilenceWarnings()
    {
        var folder = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? string.Empty;
        foreach (var name in C10Names)
        {
            // By name, a copy libtorch already loaded is found; else the one beside TorchSharp, which libtorch binds to later.
            if ((NativeLibrary.TryLoad(name, out var handle) || NativeLibrary.TryLoad(Path.Combine(folder, name), out handle)) &&
                NativeLibrary.TryGetExport(handle, LevelFlag, out var flag))
            {
                Marshal.WriteInt32(flag, Math.Max(Error, Marshal.ReadInt32(flag)));
                return true;
            }
        }

        return false;
    }
}
