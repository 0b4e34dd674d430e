using System.Runtime.InteropServices;

namespace FedPS.Core.Runtime;

/// <summary>
/// The CPU threading libtorch starts with: the intra-op thread count and OpenMP's wait policy, and why.
/// <para>
/// libtorch's OpenMP runtime (libgomp on Linux) reads OMP_NUM_THREADS and OMP_WAIT_POLICY once, when it is loaded,
/// from the process's native environment. .NET's Environment.SetEnvironmentVariable does not write that
/// environment on Unix (it keeps a managed copy), so <see cref="PrepareNativeEnvironment"/> calls libc's setenv,
/// and must run before anything touches TorchSharp's <c>torch</c> (the module initializer of FedPS, the benches).
/// A variable the user already set is left alone, and reported as the reason.
/// </para>
/// </summary>
public static class CpuThreading
{
    public const string ThreadsVariable = "OMP_NUM_THREADS";
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>libgomp's spin count; setting it is a choice about waiting as much as OMP_WAIT_POLICY is.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>
    /// How long an idle OpenMP thread spins before it sleeps (libgomp's own default is 300,000): long enough to catch
    /// the next parallel region of a CNN or GPT step, short enough not to hold a core a busy neighbour needs.
    /// </summary>
    public const int DefaultSpinCount = 10_000;

    private static readonly object Gate = new();
    private static bool prepared;

    /// <summary>The thread count FedPS chose or found, before any Set-FedDevice -Threads.</summary>
    public static int StartThreads { get; private set; }

    /// <summary>OpenMP's wait policy as libtorch was started with it.</summary>
    public static string WaitPolicy { get; private set; } = "unknown";

    /// <summary>Why the thread count and the wait policy are what they are.</summary>
    public static string Reason => $"threads: {ThreadsReason}; wait policy: {WaitPolicyReason}";

    /// <summary>Why the thread count is what it is.</summary>
    public static string ThreadsReason { get; private set; } = NotPrepared;

    /// <summary>Why the wait policy is what it is.</summary>
    public static string WaitPolicyReason { get; private set; } = NotPrepared;

    private const string NotPrepared = "unknown: libtorch was loaded before FedPS could set its environment";

    /// <summary>
    /// The thread count libtorch starts with when the user sets none: one. Work on a model picks its own count
    /// (<see cref="DefaultThreadsFor"/>) unless the user chose one.
    /// </summary>
    public const int DefaultThreads = 1;

    /// <summary>Models from this many parameters up train on every core by default; smaller ones on one.</summary>
    public const long MultiThreadParameters = 500_000;

    /// <summary>
    /// The torch thread count FedPS uses for a model of <paramref name="parameters"/> parameters when the user chose
    /// none. Measured on a quiet 2-core machine (docs/performance.md): one thread is within noise of the best setting
    /// for the 0.2M-parameter MLP, whose steps are too short to share, and every core is the best for the CNN (1.7M)
    /// and the bench's GPT (0.83M: 4 layers × 128, context 64), where one thread is 1.5–2× slower. With short spinning (<see cref="DefaultSpinCount"/>) the
    /// extra threads give a busy neighbour's core back quickly.
    /// </summary>
    public static int DefaultThreadsFor(long parameters) =>
        parameters >= MultiThreadParameters ? Math.Max(1, Environment.ProcessorCount) : DefaultThreads;

    /// <summary>True when the user set the thread count in the environment (OMP_NUM_THREADS): FedPS then never changes it.</summary>
    public static bool ThreadsFromEnvironment { get; private set; }

    /// <summary>
    /// Writes FedPS's defaults for the variables the user has not set into the native environment. Idempotent;
    /// call it before the first use of TorchSharp's <c>torch</c>, or it has no effect on the running libtorch.
    /// </summary>
    public static void PrepareNativeEnvironment()
    {
        lock (Gate)
        {
            if (prepared)
            {
                return;
            }

            prepared = true;
            var cores = Environment.ProcessorCount;
            var userThreads = NativeEnvironment.Get(ThreadsVariable);
            if (int.TryParse(userThreads, out var threads) && threads > 0)
            {
                ThreadsReason = $"{threads}, from {ThreadsVariable} in your environment";
                ThreadsFromEnvironment = true;
            }
            else
            {
                threads = DefaultThreads;
                NativeEnvironment.Set(ThreadsVariable, threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
                ThreadsReason = $"FedPS's default: 1 for models under {MultiThreadParameters:N0} parameters, {DefaultThreadsFor(MultiThreadParameters)} (every core) for larger ones (docs/performance.md)";
            }

            var userPolicy = NativeEnvironment.Get(WaitPolicyVariable);
            var userSpin = NativeEnvironment.Get(SpinCountVariable);
            if (!string.IsNullOrEmpty(userPolicy) || !string.IsNullOrEmpty(userSpin))
            {
                WaitPolicy = string.IsNullOrEmpty(userPolicy) ? $"OpenMP default, {SpinCountVariable}={userSpin}" : userPolicy.ToUpperInvariant();
                WaitPolicyReason = $"{WaitPolicy}, from your environment";
            }
            else
            {
                var spin = DefaultSpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
                NativeEnvironment.Set(SpinCountVariable, spin);
                WaitPolicy = $"spin {DefaultSpinCount:N0}, then sleep";
                WaitPolicyReason = $"{SpinCountVariable}={spin}, FedPS's default: idle OpenMP threads spin briefly, then sleep, so extra threads give a busy machine's cores back";
            }

            StartThreads = threads;
        }
    }

    /// <summary>The process's native environment (what libgomp reads), not .NET's managed copy.</summary>
    private static class NativeEnvironment
    {
        public static string? Get(string name) => OperatingSystem.IsWindows()
            ? Environment.GetEnvironmentVariable(name)
            : Marshal.PtrToStringUTF8(getenv(name));

        public static void Set(string name, string value)
        {
            Environment.SetEnvironmentVariable(name, value);
            var status = OperatingSystem.IsWindows() ? _putenv_s(name, value) : setenv(name, value, 1);
            if (status != 0)
            {
                throw new FedPSException(FedErrorKind.ResourceUnavailable,
                    $"Could not set {name} in the native environment (error {Marshal.GetLastPInvokeError()}).", name);
            }
        }

#pragma warning disable SYSLIB1054, CA2101 // plain DllImport keeps the project free of unsafe code; UTF-8 is explicit
        [DllImport("libc", SetLastError = true)]
        private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

        [DllImport("libc")]
        private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        // libtorch on Windows reads the C runtime's environment, which SetEnvironmentVariable does not update.
        [DllImport("ucrtbase", CharSet = CharSet.Unicode, EntryPoint = "_wputenv_s")]
        private static extern int _putenv_s(string name, string value);
#pragma warning restore SYSLIB1054, CA2101
    }
}
