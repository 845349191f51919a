using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real stock-ledger as a process, for tests of the services that call it (several on one Redis:Namespace are replicas of one deployment).</summary>
public sealed class LedgerProcess(string redisConfiguration, IReadOnlyDictionary<string, string>? settings = null, string host = "127.0.0.1", int grpcPort = 0, string readinessPath = "/readyz")
    : ServiceProcess("stock-ledger", BuiltProgram.StockLedger, redisConfiguration, WriterKey, settings, host, grpcPort, readinessPath)
{
    public const string WriterKey = "ledger-process-writer-key-0123456789";
}
