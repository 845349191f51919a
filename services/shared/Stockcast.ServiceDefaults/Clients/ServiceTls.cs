using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Stockcast.ServiceDefaults.Clients;

/// <summary>
/// TLS between services (<c>Tls:CaPath</c>): when set, a service's gRPC clients of the others trust
/// only the CA in that PEM file (cert-manager's <c>ca.crt</c>), balanced <c>dns:///</c> channels dial
/// with TLS, and each server's certificate must also name the host dialled. Unset: plaintext HTTP/2
/// inside the cluster, as before. The servers' own certificate is Kestrel's
/// (<c>Kestrel:Endpoints:Grpc:Certificate:Path</c> / <c>KeyPath</c>, an https:// URL).
/// </summary>
public sealed class ServiceTlsOptions
{
    public const string Section = "Tls";

    /// <summary>PEM file of the CA the other services' certificates are issued by; empty: no TLS between services.</summary>
    public string CaPath { get; set; } = "";

    public bool Enabled => CaPath.Length > 0;

    /// <summary>From the configuration when there is one (a program without it, like the probe, dials plaintext).</summary>
    public static ServiceTlsOptions Of(IServiceProvider services)
        => services.GetService<IConfiguration>()?.GetSection(Section).Get<ServiceTlsOptions>() ?? new ServiceTlsOptions();
}

/// <summary>Validates a server certificate against one CA only, never the machine's roots.</summary>
public sealed class CaTrust(X509Certificate2Collection authorities)
{
    public static CaTrust FromPemFile(string path)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(path);
        return authorities.Count > 0 ? new CaTrust(authorities) : throw new InvalidOperationException($"Tls:CaPath {path} holds no certificate.");
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // A name mismatch or no certificate at all is never forgiven; chain errors are judged below against our CA alone.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // cert-manager's CA issuers publish no revocation lists; rotation is by short lifetimes.
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }
        using var leaf = new X509Certificate2(certificate);
        return own.Build(leaf);
    }
}
