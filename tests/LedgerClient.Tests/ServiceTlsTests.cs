using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Launch;
using Stockcast.ServiceDefaults.Clients;
using Stockcast.Testing;

namespace Stockcast.LedgerClient.Tests;

/// <summary>
/// TLS between services as the chart sets it up with a cert-manager Secret: the ledger process serves
/// its gRPC port with a certificate issued by a CA made here (Kestrel's Certificate:Path/KeyPath), and
/// clients registered the one way services register them (<see cref="ServiceClientExtensions"/>) trust
/// the CA file given as Tls:CaPath, and nothing else.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class ServiceTlsTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-tls-").FullName;
    private readonly List<ServiceProvider> _providers = [];

    [Fact]
    public async Task AClientTrustingTheServicesCaCallsItOverTlsAndOneTrustingAnotherCaIsRefused()
    {
        using var authority = Authority("Stockcast test CA");
        using var stranger = Authority("Some other CA");
        using var server = IssueServerCertificate(authority, out var key);
        var grpcPort = FreePort.Next();
        using var ledger = new LedgerProcess(redis.Configuration, new Dictionary<string, string>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = $"https://127.0.0.1:{grpcPort}",
            ["Kestrel:Endpoints:Grpc:Certificate:Path"] = Write("tls.crt", server.ExportCertificatePem()),
            ["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = Write("tls.key", key),
        }, grpcPort: grpcPort);
        await ledger.StartAsync();
        var address = new Uri($"https://127.0.0.1:{grpcPort}");

        var trusting = HealthClient(address, Write("ca.crt", authority.ExportCertificatePem()));
        var distrusting = HealthClient(address, Write("other-ca.crt", stranger.ExportCertificatePem()));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await trusting.CheckAsync(new HealthCheckRequest(), deadline: Deadline())).Status);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await distrusting.CheckAsync(new HealthCheckRequest(), deadline: Deadline()));
        // Refused in the handshake (the certificate's chain does not end at the CA it trusts), before any call.
        Assert.Contains("SSL", refused.Status.DebugException?.ToString() ?? refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        _providers.ForEach(p => p.Dispose());
        Directory.Delete(_folder, recursive: true);
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(20);

    /// <summary>A gRPC client as a service registers it, with only Tls:CaPath configured.</summary>
    private Health.HealthClient HealthClient(Uri address, string caPath)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Tls:CaPath"] = caPath }).Build());
        services.AddServiceClient<Health.HealthClient>("ledger", _ => new ServiceEndpoint(address, ""));
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<GrpcClientFactory>().CreateClient<Health.HealthClient>("ledger");
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, pem);
        return path;
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    /// <summary>What cert-manager's tls.crt holds: a server certificate for the name dialled, signed by the CA.</summary>
    private static X509Certificate2 IssueServerCertificate(X509Certificate2 authority, out string keyPem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=stock-ledger", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        keyPem = key.ExportPkcs8PrivateKeyPem();
        return request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(50), RandomNumberGenerator.GetBytes(8));
    }
}
