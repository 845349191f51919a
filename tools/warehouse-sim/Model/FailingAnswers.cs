using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace Stockcast.WarehouseSim.Model;

/// <summary>How a failing warehouse API answers every read, whatever was asked.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailingAnswer>))]
public enum FailingAnswer
{
    /// <summary>500 with an error body, as a vendor's backend falling over.</summary>
    ServerError,

    /// <summary>429 with Retry-After: 1 (and ShipBob's x-retry-after: 1), as a quota exhausted by someone else's integration.</summary>
    Throttled,

    /// <summary>200 with a truncated HTML page for a body, as a proxy's error page cut off mid-way.</summary>
    Garbage,
}

public sealed record FailingSpec(string Warehouse, FailingAnswer Answer);

/// <summary>
/// Polled APIs that fail for a while (POST /sim/failing until DELETE /sim/failing): every authenticated
/// read of the warehouse gets the failing answer, on wall-clock terms and beside the scenario, so the
/// true stock keeps moving (and /sim/adjust keeps working) while nobody can read it.
/// </summary>
public sealed class FailingAnswers
{
    private readonly ConcurrentDictionary<string, FailingAnswer> _failing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);

    public void Fail(FailingSpec spec) => _failing[spec.Warehouse] = spec.Answer;

    public void Clear() => _failing.Clear();

    /// <summary>Per warehouse, how many failing answers it has given since the simulator started.</summary>
    public IReadOnlyDictionary<string, int> Served => _served;

    public IReadOnlyDictionary<string, FailingAnswer> Failing => _failing;

    /// <summary>The failing answer for a read of <paramref name="warehouseId"/>, or null when it answers normally.</summary>
    public IResult? For(string warehouseId)
    {
        if (!_failing.TryGetValue(warehouseId, out var answer))
        {
            return null;
        }
        _served.AddOrUpdate(warehouseId, 1, (_, n) => n + 1);
        return answer switch
        {
            FailingAnswer.ServerError => Results.Json(new { statusCode = 500, message = "Internal Server Error" }, statusCode: StatusCodes.Status500InternalServerError),
            FailingAnswer.Throttled => new Throttled(),
            _ => Results.Content("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Ga", "application/json", statusCode: StatusCodes.Status200OK),
        };
    }

    private sealed class Throttled : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            // The standard header and ShipBob's own, so each API's client reads the wait it knows.
            http.Response.Headers.RetryAfter = "1";
            http.Response.Headers["x-retry-after"] = "1";
            return http.Response.WriteAsync("Too Many Requests");
        }
    }
}
