using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>The real stock-ledger as a process, for tests of the services that call it.</summary>
public sealed class LedgerProcess(string redisConfiguration, IReadOnlyDictionary<string, string>? settings = null)
    : ServiceProcess("stock-ledger", BuiltProgram.StockLedger, redisConfiguration, WriterKey, settings)
{
    public const string WriterKey = "ledger-process-writer-key-0123456789";
}
