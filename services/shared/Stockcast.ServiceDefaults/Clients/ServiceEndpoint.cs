using System.ComponentModel.DataAnnotations;

namespace Stockcast.ServiceDefaults.Clients;

/// <summary>Where another Stockcast service answers and the key to send it (empty: none, it allows anonymous reads).</summary>
/// <param name="Address">
/// <c>dns:///host:port</c> to spread calls over every address the name resolves to (a headless
/// Service: one per pod; plaintext HTTP/2, as inside the cluster), or <c>http(s)://host:port</c> for
/// one address (a ClusterIP Service, a gateway).
/// </param>
public sealed record ServiceEndpoint(Uri Address, string ApiKey)
{
    /// <summary>Whether a client can dial this address: absolute, with an http, https or dns scheme.</summary>
    public static bool IsSupported(Uri? address) => address is { IsAbsoluteUri: true, Scheme: "http" or "https" or "dns" };

    /// <summary>Whether the address is resolved to every pod and balanced round-robin.</summary>
    public bool IsBalanced => Address.Scheme == "dns";
}

/// <summary>An options property holding a service address a client can dial (see <see cref="ServiceEndpoint.IsSupported"/>); unset passes (pair with [Required]).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ServiceAddressAttribute() : ValidationAttribute("{0} must be an absolute http://, https:// or dns:/// address.")
{
    public override bool IsValid(object? value) => value is null || ServiceEndpoint.IsSupported(value as Uri);
}
