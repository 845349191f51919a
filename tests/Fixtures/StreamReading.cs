using Grpc.Core;

namespace Stockcast.Testing;

public static class StreamReading
{
    /// <summary>Reads a server stream until a message matches <paramref name="last"/> (returning all read), within a deadline.</summary>
    public static async Task<List<T>> ReadUntilAsync<T>(this IAsyncStreamReader<T> stream, Func<T, bool> last, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? Eventually.DefaultDeadline);
        var seen = new List<T>();
        while (await stream.MoveNext(timeout.Token))
        {
            seen.Add(stream.Current);
            if (last(stream.Current))
            {
                return seen;
            }
        }
        throw new InvalidOperationException("the stream ended before the awaited message");
    }
}
