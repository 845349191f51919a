global using AlertingUnderTest = Stockcast.Bench.ServiceUnderTest<Stockcast.Alerting.V1.Alerting.AlertingClient>;
global using OverlayUnderTest = Stockcast.Bench.ServiceUnderTest<Stockcast.Overlay.V1.Overlay.OverlayClient>;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;

namespace Stockcast.Bench;

/// <summary>A service under test: its gRPC API (writes with the key), its HTTP endpoint (/readyz, pages) and its management endpoint (/metrics).</summary>
public sealed class ServiceUnderTest<TClient> : IDisposable
{
    private readonly GrpcChannel _channel;

    public ServiceUnderTest(string name, string grpcTarget, string httpBase, string managementBase, string apiKey, Func<GrpcChannel, TClient> client)
    {
        Name = name;
        HttpBase = new Uri(httpBase.TrimEnd('/') + "/");
        ManagementBase = new Uri(managementBase.TrimEnd('/') + "/");
        AuthHeaders = new Metadata { { "Authorization", "Bearer " + apiKey } };
        _channel = Ledger.OpenChannel(grpcTarget);
        Client = client(_channel);
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name { get; }
    public Uri HttpBase { get; }
    public Uri ManagementBase { get; }
    public Metadata AuthHeaders { get; }
    public TClient Client { get; }
    public HttpClient Http { get; }

    /// <summary>One scrape of /metrics.</summary>
    public async Task<PrometheusScrape> ScrapeAsync(CancellationToken cancel)
        => PrometheusScrape.Parse(await Http.GetStringAsync(new Uri(ManagementBase, "metrics"), cancel));

    public void Dispose()
    {
        Http.Dispose();
        _channel.Dispose();
    }
}
