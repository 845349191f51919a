using System.Net.WebSockets;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Mvc.Testing;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>A viewer's WebSocket (through the TestServer): reads text messages as RoomUpdates, and how the socket was closed.</summary>
public sealed class WsReader(WebSocket socket) : IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Opens /overlay/{room}/ws?token=…; the handshake throws when the server refuses the upgrade.</summary>
    public static async Task<WsReader> OpenAsync(WebApplicationFactory<Program> host, string roomId, string token)
    {
        var uri = new UriBuilder(host.Server.BaseAddress) { Scheme = "ws", Path = $"/overlay/{roomId}/ws", Query = "token=" + Uri.EscapeDataString(token) }.Uri;
        return new WsReader(await host.Server.CreateWebSocketClient().ConnectAsync(uri, CancellationToken.None));
    }

    /// <summary>Reads updates until one matches (returning all read), within a deadline.</summary>
    public async Task<List<RoomUpdate>> ReadUntilAsync(Func<RoomUpdate, bool> last, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? Eventually.DefaultDeadline);
        var seen = new List<RoomUpdate>();
        while (await ReceiveAsync(timeout.Token) is { } text)
        {
            var update = Parser.Parse<RoomUpdate>(text);
            seen.Add(update);
            if (last(update))
            {
                return seen;
            }
        }
        throw new InvalidOperationException($"the socket closed ({socket.CloseStatus} {socket.CloseStatusDescription}) before the awaited update");
    }

    /// <summary>Reads (and drops) updates until the server closes the socket, within a deadline; answers the close.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ReadUntilClosedAsync(TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? Eventually.DefaultDeadline);
        while (await ReceiveAsync(timeout.Token) is not null)
        {
        }
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return (socket.CloseStatus, socket.CloseStatusDescription);
    }

    /// <summary>One whole text message; null once the server closed the socket.</summary>
    private async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var part = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (part.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            Assert.Equal(WebSocketMessageType.Text, part.MessageType);
            message.Write(buffer, 0, part.Count);
            if (part.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            }
        }
    }

    public void Dispose() => socket.Dispose();
}
