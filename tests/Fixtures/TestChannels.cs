using Grpc.Core;
using Grpc.Net.Client;

namespace Stockcast.Testing;

public static class TestChannels
{
    /// <summary>A gRPC channel over sockets to a service run as a process, sending <paramref name="apiKey"/>.</summary>
    public static GrpcChannel WithApiKey(Uri address, string apiKey) => WithApiKey(address, new SocketsHttpHandler(), apiKey);

    /// <summary>A gRPC channel to a service under test that sends <paramref name="apiKey"/> as a bearer token (none when null).</summary>
    /// <param name="handler">The TestServer's handler, or a socket handler for a service on Kestrel.</param>
    public static GrpcChannel WithApiKey(Uri address, HttpMessageHandler handler, string? apiKey)
    {
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            if (apiKey is not null)
            {
                metadata.Add("Authorization", "Bearer " + apiKey);
            }
            return Task.CompletedTask;
        });
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
    }
}
