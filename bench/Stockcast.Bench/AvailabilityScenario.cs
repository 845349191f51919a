using System.Diagnostics;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// GetAvailability: N concurrent callers, each one call at a time on a random populated SKU,
/// markets taken in turn. A warm-up runs first; only calls started inside the measured window
/// count, and each is timed from send to reply. With health=true the same callers call the
/// ledger's grpc.health.v1.Health/Check instead: the same Kestrel, HTTP/2, gRPC, auth and
/// interceptor path with no Redis and no ledger logic behind it: what the ledger's own per-call
/// path costs. The "ceiling" scenario runs this with health=false against the bare grpc-dotnet
/// server (bench/Stockcast.Bench.Ceiling): the unary ceiling GetAvailability is measured against.
/// </summary>
public static class AvailabilityScenario
{
    public sealed record Settings(int Callers, double Seconds, double Warmup, int Skus, string Prefix, string[] Markets)
    {
        public static Settings From(BenchArgs a) => new(
            a.Int("callers", 32), a.Double("seconds", 10), a.Double("warmup", 3), a.Int("skus", 20_000), a.Str("sku-prefix", "SKU-"),
            a.Str("markets", "US,DE").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static readonly Method<byte[], byte[]> HealthCheck = new(
        MethodType.Unary, "grpc.health.v1.Health", "Check", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    private sealed class Caller(int capacity)
    {
        public readonly Latencies Latency = new(capacity);
        public long Empty;
        public long Warehouses;
    }

    public static async Task RunAsync(Settings s, Ledger ledger, Results results, CpuMeter cpu, bool health = false)
    {
        Console.WriteLine(health
            ? $"health: {s.Callers} callers of grpc.health.v1.Health/Check, {s.Warmup} s warm-up + {s.Seconds} s"
            : $"availability: {s.Callers} callers, {s.Warmup} s warm-up + {s.Seconds} s, {s.Skus} SKUs, markets {string.Join('/', s.Markets)}");
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(s.Warmup + s.Seconds + 60));
        var started = Stopwatch.GetTimestamp();
        var measureFrom = started + (long)(s.Warmup * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(s.Seconds * Stopwatch.Frequency);
        var callers = Enumerable.Range(0, s.Callers).Select(_ => new Caller(200_000)).ToArray();
        var tasks = callers.Select((c, i) => Task.Run(async () =>
        {
            var random = new Random(1000 + i);
            var client = ledger.Client();
            var invoker = ledger.Invoker();
            var n = i;
            while (true)
            {
                var at = Stopwatch.GetTimestamp();
                if (at >= measureTo)
                {
                    return;
                }
                int warehouses;
                if (health)
                {
                    var reply = await invoker.AsyncUnaryCall(HealthCheck, null, new CallOptions(cancellationToken: hardStop.Token), []);
                    // HealthCheckResponse.status (field 1, varint) = SERVING (1).
                    warehouses = reply is [0x08, 0x01] ? 1 : 0;
                }
                else
                {
                    var request = new GetAvailabilityRequest
                    {
                        Sku = Catalog.Sku(s.Prefix, random.Next(s.Skus)),
                        Market = s.Markets[n++ % s.Markets.Length],
                    };
                    var reply = await client.GetAvailabilityAsync(request, ledger.AuthHeaders, cancellationToken: hardStop.Token);
                    warehouses = reply.Warehouses.Count;
                }
                var took = Stopwatch.GetTimestamp() - at;
                if (at >= measureFrom)
                {
                    c.Latency.Add(took);
                    c.Warehouses += warehouses;
                    if (warehouses == 0)
                    {
                        c.Empty++;
                    }
                }
            }
        }, hardStop.Token)).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(s.Warmup), hardStop.Token);
        cpu.Start();
        await Task.Delay(TimeSpan.FromSeconds(s.Seconds), hardStop.Token);
        var split = cpu.Stop();
        await Task.WhenAll(tasks);

        var latency = Latencies.Summarize(callers.Select(c => c.Latency));
        results.Add("callers", s.Callers);
        results.Add("seconds", s.Seconds, "F1");
        results.Add("calls", latency.Count);
        results.Add("calls_per_s", latency.Count / s.Seconds);
        results.Add("p50_ms", latency.Ms(50), "F2");
        results.Add("p99_ms", latency.Ms(99), "F2");
        results.Add("max_ms", latency.MaxMs, "F2");
        results.Add(health ? "not_serving_replies" : "empty_replies", callers.Sum(c => c.Empty));
        results.Add(health ? "serving_per_reply" : "warehouses_per_reply", (double)callers.Sum(c => c.Warehouses) / Math.Max(1, latency.Count), "F2");
        results.AddCpu(split);
    }
}
