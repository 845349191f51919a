using System.Net;
using System.Net.Sockets;

namespace Stockcast.Launch;

public static class FreePort
{
    private const int Attempts = 100;
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A TCP port nobody listens on right now on <paramref name="address"/> (default 127.0.0.1), and
    /// not one this process handed out before: two services picked one after the other never get the
    /// same port. Someone else may still take it before the service binds it (see <see cref="LaunchedService"/>).
    /// </summary>
    public static int Next(IPAddress? address = null)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            using var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
        throw new InvalidOperationException($"no free port on {address ?? IPAddress.Loopback} in {Attempts} attempts");
    }
}
