using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real overlay-broadcast as a process, following a ledger (and, where given, the connector and alerting).</summary>
public sealed class OverlayProcess(string redisConfiguration, Uri ledgerAddress, IReadOnlyDictionary<string, string>? settings = null, string readinessPath = "/readyz")
    : ServiceProcess("overlay-broadcast", BuiltProgram.OverlayBroadcast, redisConfiguration, WriterKey, new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
    {
        ["Overlay:LedgerAddress"] = ledgerAddress.ToString(),
    }, readinessPath: readinessPath)
{
    public const string WriterKey = "overlay-process-writer-key-0123456789";
}
