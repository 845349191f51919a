using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real alerting service as a process, following a ledger, for tests of the services that show its alerts.</summary>
public sealed class AlertingProcess(string redisConfiguration, Uri ledgerAddress, IReadOnlyDictionary<string, string>? settings = null, string readinessPath = "/readyz")
    : ServiceProcess("alerting", BuiltProgram.Alerting, redisConfiguration, new RoleKeys(ReaderKey, WriterKey, AdminKey), new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
    {
        ["Alerting:LedgerAddress"] = ledgerAddress.ToString(),
        ["Alerting:LedgerApiKey"] = LedgerProcess.ReaderKey,
        ["Alerting:ConnectorApiKey"] = ConnectorProcess.ReaderKey,
    }, readinessPath: readinessPath)
{
    public const string ReaderKey = "alerting-process-reader-key-0123456789";
    public const string WriterKey = "alerting-process-writer-key-0123456789";
    public const string AdminKey = "alerting-process-admin-key-0123456789";
}
