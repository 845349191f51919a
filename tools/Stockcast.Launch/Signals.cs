using System.Runtime.InteropServices;

namespace Stockcast.Launch;

/// <summary>SIGTERM, which <see cref="System.Diagnostics.Process"/> cannot send: the graceful stop Kubernetes gives a pod.</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
