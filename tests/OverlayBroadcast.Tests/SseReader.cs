using Google.Protobuf;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>A Server-Sent Events connection: reads a viewer's "update" events as RoomUpdates (or a board's "board" events), with their ids.</summary>
public sealed class SseReader : IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static Task<SseReader> OpenAsync(HttpClient http, string path) => OpenAsync(http, new HttpRequestMessage(HttpMethod.Get, path));

    public static async Task<SseReader> OpenAsync(HttpClient http, HttpRequestMessage request)
    {
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new SseReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>Reads updates until one matches (returning all read), within a deadline.</summary>
    public Task<List<(long Id, RoomUpdate Update)>> ReadUntilAsync(Func<RoomUpdate, bool> last, TimeSpan? deadline = null)
        => ReadUntilAsync("update", last, deadline);

    /// <summary>Reads events of one kind (JSON of <typeparamref name="T"/>) until one matches, within a deadline.</summary>
    public async Task<List<(long Id, T Update)>> ReadUntilAsync<T>(string eventKind, Func<T, bool> last, TimeSpan? deadline = null)
        where T : IMessage<T>, new()
    {
        using var timeout = new CancellationTokenSource(deadline ?? Eventually.DefaultDeadline);
        var seen = new List<(long, T)>();
        long id = 0;
        string? kind = null;
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                kind = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == eventKind)
            {
                var update = Parser.Parse<T>(line[6..]);
                seen.Add((id, update));
                if (last(update))
                {
                    return seen;
                }
            }
        }
        throw new InvalidOperationException("the event stream ended before the awaited update");
    }

    /// <summary>
    /// Reads for <paramref name="period"/>: true when the stream was still open at its end (false when
    /// the server ended it or sent "revoked"). The reader is spent afterwards.
    /// </summary>
    public async Task<bool> StaysOpenAsync(TimeSpan period)
    {
        using var timeout = new CancellationTokenSource(period);
        try
        {
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == "event: revoked")
                {
                    return false;
                }
            }
            return false;
        }
        // The period ending while a read waits: TestServer's response stream reports that cancellation as an
        // IOException around the OperationCanceledException (CI saw it), a socket's as the latter itself.
        catch (Exception e) when (timeout.IsCancellationRequested && e is OperationCanceledException or IOException { InnerException: OperationCanceledException })
        {
            return true;
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
