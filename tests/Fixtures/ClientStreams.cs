using Grpc.Core;

namespace Stockcast.Testing;

public static class ClientStreams
{
    /// <summary>
    /// Writes one request and ends the request stream. A service may answer, and end the call, before
    /// the client has finished sending (a refusal by authorization, or of a message too large); the
    /// write then fails with a bare CANCELLED, and the service's answer is the call's status, which the
    /// caller reads from the response next.
    /// </summary>
    public static async Task SendOneAsync<T>(IClientStreamWriter<T> requests, T request)
    {
        try
        {
            await requests.WriteAsync(request);
            await requests.CompleteAsync();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
        }
    }
}
