using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using OverlayClient = Stockcast.Overlay.V1.Overlay.OverlayClient;

namespace Stockcast.Bench;

/// <summary>The overlay-broadcast service under test: its gRPC API (rooms, tokens; writes with the key) and its HTTP endpoint (viewers, /readyz, /metrics).</summary>
public sealed class OverlayUnderTest : IDisposable
{
    private readonly GrpcChannel _channel;

    public OverlayUnderTest(string grpcTarget, string httpBase, string apiKey)
    {
        HttpBase = new Uri(httpBase.TrimEnd('/') + "/");
        WriteHeaders = new Metadata { { "Authorization", "Bearer " + apiKey } };
        _channel = GrpcChannel.ForAddress(grpcTarget, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false } });
        Client = new OverlayClient(_channel);
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri HttpBase { get; }
    public Metadata WriteHeaders { get; }
    public OverlayClient Client { get; }
    public HttpClient Http { get; }

    /// <summary>One scrape of /metrics.</summary>
    public async Task<PrometheusScrape> ScrapeAsync(CancellationToken cancel)
        => PrometheusScrape.Parse(await Http.GetStringAsync(new Uri(HttpBase, "metrics"), cancel));

    public void Dispose()
    {
        Http.Dispose();
        _channel.Dispose();
    }
}
