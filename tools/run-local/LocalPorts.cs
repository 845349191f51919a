using System.Globalization;
using Stockcast.Launch;

namespace Stockcast.RunLocal;

/// <summary>The fixed loopback ports of `make run` (each can be moved with its environment variable, e.g. LEDGER_GRPC=6101).</summary>
internal static class LocalPorts
{
    public static StackPorts FromEnvironment() => new(
        Port("REDIS_PORT", 6380),
        Port("LEDGER_GRPC", 5101), Port("LEDGER_HTTP", 9101), Port("LEDGER_MANAGEMENT", 9201),
        Port("CONNECTOR_GRPC", 5102), Port("CONNECTOR_HTTP", 9102), Port("CONNECTOR_MANAGEMENT", 9202),
        Port("ALERTING_GRPC", 5103), Port("ALERTING_HTTP", 9103), Port("ALERTING_MANAGEMENT", 9203),
        Port("OVERLAY_GRPC", 5104), Port("OVERLAY_HTTP", 9104), Port("OVERLAY_MANAGEMENT", 9204),
        Port("SIM_HTTP", 5301));

    private static int Port(string variable, int fallback)
        => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
