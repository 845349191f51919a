using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Stockcast.Overlay.V1;

namespace Stockcast.Bench;

/// <summary>
/// One viewer: on a raw socket (SSE or WebSocket), it scans what arrives for "availableToPromise": "N";
/// as a gRPC WatchRoom call, it reads each update's first SKU. Either way it notes when each value of
/// the step (top - k) first came; the first match in a message is the changing SKU's, the others (its
/// warehouse split, the SKUs that stay put) are the same value or out of range.
/// </summary>
internal sealed class OverlayViewer(int room, long top, int changes)
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("\"availableToPromise\": \"");
    // Made when a socket viewer opens: a gRPC viewer holds no socket (and no file descriptor) of its own.
    private Socket? _socket;
    private readonly byte[] _buffer = new byte[4096];
    private AsyncServerStreamingCall<RoomUpdate>? _call;
    private int _matched;
    private bool _inValue;
    private long _value;
    private long _newest = -1;

    /// <summary>Stopwatch time at which value top - k first arrived, 0 until it has.</summary>
    public readonly long[] Received = new long[changes];

    public int Room => room;
    public long ConnectTicks { get; private set; }
    public long FirstUpdateAt;
    public int OutOfOrder { get; private set; }
    public string Failure { get; private set; } = "";

    /// <summary>Connects, sends the request and reads the response head (a 200 event stream or a 101 upgrade).</summary>
    public async Task<bool> OpenAsync(IPEndPoint endPoint, byte[] request, bool webSocket, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await _socket.ConnectAsync(endPoint, cancel);
            await _socket.SendAsync(request, SocketFlags.None, cancel);
            var filled = 0;
            while (filled < _buffer.Length)
            {
                var n = await _socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None, cancel);
                if (n == 0)
                {
                    Failure = "closed before the response head";
                    return false;
                }
                filled += n;
                var end = _buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
                if (end < 0)
                {
                    continue;
                }
                if (!_buffer.AsSpan(0, filled).StartsWith(webSocket ? "HTTP/1.1 101"u8 : "HTTP/1.1 200"u8))
                {
                    Failure = Encoding.ASCII.GetString(_buffer, 0, _buffer.AsSpan(0, filled).IndexOf("\r\n"u8));
                    return false;
                }
                ConnectTicks = Stopwatch.GetTimestamp() - started;
                Scan(_buffer.AsSpan(end + 4, filled - end - 4), Stopwatch.GetTimestamp());
                return true;
            }
            Failure = "response head larger than the buffer";
            return false;
        }
        catch (SocketException ex)
        {
            Failure = ex.SocketErrorCode.ToString();
            return false;
        }
        catch (OperationCanceledException)
        {
            Failure = "not connected within --connect-seconds";
            return false;
        }
    }

    /// <summary>A gRPC WatchRoom caller instead of a socket (on the bench's shared channel): open once the first update came.</summary>
    public async Task<bool> OpenGrpcAsync(Overlay.V1.Overlay.OverlayClient client, string roomId, Metadata headers, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        _call = client.WatchRoom(new WatchRoomRequest { RoomId = roomId }, headers);
        try
        {
            if (!await _call.ResponseStream.MoveNext(cancel))
            {
                Failure = "the overlay ended WatchRoom before its first update";
                return false;
            }
            ConnectTicks = Stopwatch.GetTimestamp() - started;
            Take(_call.ResponseStream.Current, Stopwatch.GetTimestamp());
            return true;
        }
        catch (RpcException ex)
        {
            Failure = ex.StatusCode.ToString();
            return false;
        }
        catch (OperationCanceledException)
        {
            Failure = "not connected within --connect-seconds";
            return false;
        }
    }

    public async Task ReceiveAsync(CancellationToken cancel)
    {
        try
        {
            if (_call is not null)
            {
                while (await _call.ResponseStream.MoveNext(cancel))
                {
                    Take(_call.ResponseStream.Current, Stopwatch.GetTimestamp());
                }
                return;
            }
            int n;
            while ((n = await _socket!.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cancel)) > 0)
            {
                Scan(_buffer.AsSpan(0, n), Stopwatch.GetTimestamp());
            }
        }
        catch (Exception ex) when (ex is SocketException or RpcException or OperationCanceledException or ObjectDisposedException)
        {
            // Ended by Reset, or by the overlay.
        }
    }

    /// <summary>Closes with a reset: no TIME_WAIT left behind to run the next step out of ports (a WatchRoom call is cancelled).</summary>
    public void Reset()
    {
        _call?.Dispose();
        if (_socket is null)
        {
            return;
        }
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Never connected.
        }
        _socket.Dispose();
    }

    /// <summary>A gRPC update: its first SKU's figure is the changing one.</summary>
    private void Take(RoomUpdate update, long at)
    {
        if (update.Skus.Count > 0)
        {
            Seen(update.Skus[0].AvailableToPromise, at);
        }
    }

    private void Scan(ReadOnlySpan<byte> data, long at)
    {
        foreach (var b in data)
        {
            if (_inValue)
            {
                if (b is >= (byte)'0' and <= (byte)'9')
                {
                    _value = (_value * 10) + (b - '0');
                    continue;
                }
                _inValue = false;
                Seen(_value, at);
                continue;
            }
            if (b == Marker[_matched])
            {
                if (++_matched == Marker.Length)
                {
                    (_inValue, _value, _matched) = (true, 0, 0);
                }
            }
            else
            {
                _matched = b == Marker[0] ? 1 : 0;
            }
        }
    }

    private void Seen(long value, long at)
    {
        if (FirstUpdateAt == 0)
        {
            Volatile.Write(ref FirstUpdateAt, at);
        }
        var k = top - value;
        if (k < 0 || k >= Received.Length || Received[k] != 0)
        {
            return;
        }
        OutOfOrder += k < _newest ? 1 : 0;
        _newest = Math.Max(_newest, k);
        Volatile.Write(ref Received[k], at);
    }
}
