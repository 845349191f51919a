using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real warehouse-connector as a process, in front of a ledger, for tests that kill it the hard way.</summary>
public sealed class ConnectorProcess(string redisConfiguration, Uri ledgerAddress, string ledgerApiKey, IReadOnlyDictionary<string, string> settings, string readinessPath = "/readyz")
    : ServiceProcess("warehouse-connector", BuiltProgram.WarehouseConnector, redisConfiguration, new RoleKeys(ReaderKey, WriterKey, AdminKey), new Dictionary<string, string>(settings)
    {
        ["Connector:LedgerAddress"] = ledgerAddress.ToString(),
        ["Connector:LedgerApiKey"] = ledgerApiKey,
    }, readinessPath: readinessPath)
{
    public const string ReaderKey = "connector-process-reader-key-0123456789";
    public const string WriterKey = "connector-process-writer-key-0123456789";
    public const string AdminKey = "connector-process-admin-key-0123456789";
}
