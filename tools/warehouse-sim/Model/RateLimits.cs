namespace Stockcast.WarehouseSim.Model;

public readonly record struct RateDecision(bool Allowed, int Remaining, TimeSpan RetryAfter);

/// <summary>ShipBob's limit: a sliding window of N calls per minute, counted per token, on scenario time.</summary>
public sealed class SlidingWindowLimit(TimeProvider clock, int limit, TimeSpan window)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _calls = [];

    public RateDecision Take(string key)
    {
        lock (_calls)
        {
            var now = clock.GetUtcNow();
            if (!_calls.TryGetValue(key, out var calls))
            {
                _calls[key] = calls = new Queue<DateTimeOffset>();
            }
            while (calls.Count > 0 && now - calls.Peek() >= window)
            {
                calls.Dequeue();
            }
            if (calls.Count >= limit)
            {
                return new RateDecision(false, 0, calls.Peek() + window - now);
            }
            calls.Enqueue(now);
            return new RateDecision(true, limit - calls.Count, TimeSpan.Zero);
        }
    }
}

/// <summary>SP-API's usage plan: a token bucket refilled at <c>rate</c> per second up to <c>burst</c>, per client.</summary>
public sealed class TokenBucketLimit(TimeProvider clock, double rate, double burst)
{
    private readonly Dictionary<string, (double Tokens, DateTimeOffset At)> _buckets = [];

    public RateDecision Take(string key)
    {
        lock (_buckets)
        {
            var now = clock.GetUtcNow();
            var (tokens, at) = _buckets.TryGetValue(key, out var b) ? b : (burst, now);
            tokens = Math.Min(burst, tokens + (now - at).TotalSeconds * rate);
            if (tokens < 1)
            {
                _buckets[key] = (tokens, now);
                return new RateDecision(false, 0, TimeSpan.FromSeconds((1 - tokens) / rate));
            }
            _buckets[key] = (tokens - 1, now);
            return new RateDecision(true, (int)(tokens - 1), TimeSpan.Zero);
        }
    }
}
