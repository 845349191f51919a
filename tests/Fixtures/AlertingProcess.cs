using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real alerting service as a process, following a ledger, for tests of the services that show its alerts.</summary>
public sealed class AlertingProcess(string redisConfiguration, Uri ledgerAddress, IReadOnlyDictionary<string, string>? settings = null, string readinessPath = "/readyz")
    : ServiceProcess("alerting", BuiltProgram.Alerting, redisConfiguration, WriterKey, new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
    {
        ["Alerting:LedgerAddress"] = ledgerAddress.ToString(),
    }, readinessPath: readinessPath)
{
    public const string WriterKey = "alerting-process-writer-key-0123456789";
}
