using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>Free loopback ports for a service on Kestrel, one per endpoint it configures (<c>Kestrel:Endpoints:{name}</c>).</summary>
public sealed class LoopbackPorts
{
    /// <summary>A Stockcast service's three endpoints: gRPC (HTTP/2 only), HTTP/1.1 (pages, webhooks, health) and management (metrics, health).</summary>
    public const string Grpc = "Grpc";
    public const string Http = "Http";
    public const string Management = "Management";

    private LoopbackPorts(IReadOnlyDictionary<string, int> byEndpoint) => ByEndpoint = byEndpoint;

    public IReadOnlyDictionary<string, int> ByEndpoint { get; }

    /// <summary>All three of a Stockcast service's endpoints: one left out would bind its appsettings port, shared by every host.</summary>
    public static LoopbackPorts ForService() => Free(Grpc, Http, Management);

    /// <summary>Ports nobody listens on right now; one may still be taken before Kestrel binds it.</summary>
    public static LoopbackPorts Free(params string[] endpoints) => new(endpoints.ToDictionary(e => e, _ => FreePort.Next()));

    public Uri Address(string endpoint) => new($"http://127.0.0.1:{ByEndpoint[endpoint]}");
}
