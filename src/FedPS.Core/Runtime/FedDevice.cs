using TorchSharp;
using DeviceType = TorchSharp.DeviceType;

namespace FedPS.Core.Runtime;

/// <summary>
/// The compute device every new model and dataset tensor is placed on, the torch thread count (of the calling
/// thread, which is what its work uses), OpenMP's wait policy, and why the threading is what it is.
/// </summary>
public sealed record FedDevice(string Name, string Type, bool CudaAvailable, int CudaDeviceCount, int Threads,
    string WaitPolicy, string ThreadingReason)
{
    /// <summary>
    /// The package a GPU user swaps in, and how (one build property). TorchSharp's CUDA natives are not served
    /// by the registry on our CPU machines, so the module is built against libtorch-cpu by default.
    /// </summary>
    public const string CudaHint =
        "CUDA is not available to this build of FedPS. GPU users rebuild with the CUDA natives of libtorch: " +
        "./build.ps1 -LibTorchPackage libtorch-cuda-12.8-linux-x64 (Windows: libtorch-cuda-12.8-win-x64), " +
        "which sets the MSBuild property FedPSLibTorch, on a machine with an NVIDIA driver.";

    private static readonly Catalog<string> Names = Catalog.Of("device", "cpu", "cuda", "auto");

    public static IReadOnlyList<string> ValidNames => Names.Names;

    private static readonly object Gate = new();
    private static torch.Device current = torch.CPU;
    private static int? threadsSetTo;

    [ThreadStatic]
    private static bool threadsPinned;

    /// <summary>The device new tensors go to.</summary>
    public static torch.Device Current
    {
        get { lock (Gate) { return current; } }
    }

    /// <summary>
    /// The session's torch thread count: the last one <see cref="Set"/> chose, else the one libtorch started with.
    /// Work on other threads (parallel sweeps) is given its share of this.
    /// </summary>
    public static int SessionThreads
    {
        get
        {
            lock (Gate)
            {
                return threadsSetTo ?? (CpuThreading.StartThreads > 0 ? CpuThreading.StartThreads : torch.get_num_threads());
            }
        }
    }

    /// <summary>True when the user chose the thread count (Set-FedDevice -Threads or OMP_NUM_THREADS).</summary>
    public static bool ThreadsChosen
    {
        get { lock (Gate) { return threadsSetTo is not null || CpuThreading.ThreadsFromEnvironment; } }
    }

    /// <summary>
    /// Gives the calling thread FedPS's default thread count for a model of <paramref name="parameters"/> parameters
    /// (<see cref="CpuThreading.DefaultThreadsFor"/>), unless the user chose a count or the thread was given its share
    /// (<see cref="PinThreads"/>). A pure function of the model and the machine, so a run's numbers stay reproducible.
    /// </summary>
    public static void UseDefaultThreadsFor(long parameters)
    {
        if (threadsPinned || ThreadsChosen || current.type != DeviceType.CPU)
        {
            return;
        }

        var n = CpuThreading.DefaultThreadsFor(parameters);
        if (torch.get_num_threads() != n)
        {
            torch.set_num_threads(n);
        }
    }

    /// <summary>
    /// Fixes the calling thread's torch thread count at <paramref name="threads"/> until the result is disposed (a
    /// parallel sweep's worker, whose share of the cores must not grow with its model).
    /// </summary>
    public static IDisposable PinThreads(int threads)
    {
        var before = torch.get_num_threads();
        var wasPinned = threadsPinned;
        torch.set_num_threads(threads);
        threadsPinned = true;
        return new Restore(() =>
        {
            threadsPinned = wasPinned;
            torch.set_num_threads(before);
        });
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>The current selection as a readable object.</summary>
    public static FedDevice Get()
    {
        var cuda = torch.cuda.is_available();
        var dev = Current;
        string reason;
        lock (Gate)
        {
            reason = threadsSetTo is { } n
                ? $"threads: {n}, set explicitly (libtorch started with {CpuThreading.StartThreads}); wait policy: {CpuThreading.WaitPolicyReason}"
                : CpuThreading.Reason;
        }

        return new FedDevice(dev.ToString(), dev.type.ToString().ToLowerInvariant(), cuda,
            cuda ? torch.cuda.device_count() : 0, SessionThreads, CpuThreading.WaitPolicy, reason);
    }

    /// <summary>Selects cpu, cuda (fails without CUDA) or auto (cuda when present), and optionally the thread count.</summary>
    public static FedDevice Set(string name, int? threads = null)
    {
        torch.Device device = Names.Canonical(name.Trim()) switch
        {
            "cpu" => torch.CPU,
            "cuda" => torch.cuda.is_available()
                ? torch.CUDA
                : throw new FedPSException(FedErrorKind.ResourceUnavailable, CudaHint, name),
            _ => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        };
        if (threads is { } n)
        {
            if (n < 1)
            {
                throw new FedPSException(FedErrorKind.InvalidArgument, $"Threads must be at least 1 (got {n}).", n);
            }

            torch.set_num_threads(n);
            lock (Gate)
            {
                threadsSetTo = n;
            }
        }

        lock (Gate)
        {
            current = device;
        }

        return Get();
    }
}
