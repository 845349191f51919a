using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real stock-ledger as a process, for tests of the services that call it (several on one Redis:Namespace are replicas of one deployment).</summary>
public sealed class LedgerProcess(string redisConfiguration, IReadOnlyDictionary<string, string>? settings = null, string host = "127.0.0.1", int grpcPort = 0, string readinessPath = "/readyz")
    : ServiceProcess("stock-ledger", BuiltProgram.StockLedger, redisConfiguration, new RoleKeys(ReaderKey, WriterKey, AdminKey), settings, host, grpcPort, readinessPath)
{
    public const string ReaderKey = "ledger-process-reader-key-0123456789";
    public const string WriterKey = "ledger-process-writer-key-0123456789";
    public const string AdminKey = "ledger-process-admin-key-0123456789";
}
