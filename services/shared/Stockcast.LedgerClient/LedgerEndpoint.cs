namespace Stockcast.LedgerClient;

/// <summary>Where a ledger answers and the key to send it (empty: none, the ledger allows anonymous reads).</summary>
/// <param name="Address">
/// <c>dns:///host:port</c> to spread calls over every address the name resolves to (a headless
/// Service: one per pod; plaintext HTTP/2, as inside the cluster), or <c>http(s)://host:port</c> for
/// one address (a ClusterIP Service, a gateway).
/// </param>
public sealed record LedgerEndpoint(Uri Address, string ApiKey)
{
    /// <summary>Whether a ledger client can dial this address: absolute, with an http, https or dns scheme.</summary>
    public static bool IsSupported(Uri? address) => address is { IsAbsoluteUri: true, Scheme: "http" or "https" or "dns" };

    /// <summary>Whether the address is resolved to every pod and balanced round-robin.</summary>
    internal bool IsBalanced => Address.Scheme == "dns";
}
