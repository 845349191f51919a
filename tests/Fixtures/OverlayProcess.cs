using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real overlay-broadcast as a process, following a ledger (and, where given, the connector and alerting).</summary>
public sealed class OverlayProcess(string redisConfiguration, Uri ledgerAddress, IReadOnlyDictionary<string, string>? settings = null, string readinessPath = "/readyz", bool keepAllOutput = false)
    : ServiceProcess("overlay-broadcast", BuiltProgram.OverlayBroadcast, redisConfiguration, new RoleKeys(ReaderKey, WriterKey, AdminKey), new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
    {
        ["Overlay:LedgerAddress"] = ledgerAddress.ToString(),
        ["Overlay:LedgerApiKey"] = LedgerProcess.ReaderKey,
        ["Overlay:ConnectorApiKey"] = ConnectorProcess.ReaderKey,
        ["Overlay:AlertingApiKey"] = AlertingProcess.ReaderKey,
    }, readinessPath: readinessPath, keepAllOutput: keepAllOutput)
{
    public const string ReaderKey = "overlay-process-reader-key-0123456789";
    public const string WriterKey = "overlay-process-writer-key-0123456789";
    public const string AdminKey = "overlay-process-admin-key-0123456789";
}
