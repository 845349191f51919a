using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>The warehouse-connector under test: its HTTP endpoint (push API, webhooks) and its gRPC API (ListFeeds).</summary>
public sealed class ConnectorUnderTest : IDisposable
{
    private readonly GrpcChannel _channel;

    public ConnectorUnderTest(string httpBase, string grpcTarget, string apiKey, int connections)
    {
        HttpBase = new Uri(httpBase.TrimEnd('/') + "/");
        ApiKey = apiKey;
        AuthHeaders = new Metadata { { "Authorization", "Bearer " + apiKey } };
        // HTTP/1.1, as warehouses deliver webhooks: one request at a time per connection, so as many
        // connections as concurrent senders.
        Http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, connections),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        { Timeout = TimeSpan.FromSeconds(30) };
        _channel = Ledger.OpenChannel(grpcTarget);
        Feeds = new WarehouseConnector.WarehouseConnectorClient(_channel);
    }

    public Uri HttpBase { get; }
    public string ApiKey { get; }
    public Metadata AuthHeaders { get; }
    public HttpClient Http { get; }
    public WarehouseConnector.WarehouseConnectorClient Feeds { get; }

    public async Task<Feed> FeedAsync(string warehouseId)
    {
        var list = await Feeds.ListFeedsAsync(new ListFeedsRequest(), AuthHeaders, deadline: DateTime.UtcNow.AddSeconds(10));
        return list.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId)
            ?? throw new InvalidOperationException($"the connector has no feed for warehouse '{warehouseId}'");
    }

    /// <summary>A signed ShipHero webhook, as ShipHero (and tools/warehouse-sim) sends it.</summary>
    public HttpRequestMessage ShipHeroRequest(string warehouseId, string secret, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(HttpBase, $"webhooks/shiphero/{warehouseId}")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(ShipHero.SignatureHeader, ShipHero.Sign(body, secret));
        request.Headers.TryAddWithoutValidation("X-Shiphero-Message-ID", Guid.NewGuid().ToString());
        return request;
    }

    /// <summary>A canonical push (POST /v1/warehouses/{id}/stock) with the write key.</summary>
    public HttpRequestMessage PushRequest(string warehouseId, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(HttpBase, $"v1/warehouses/{warehouseId}/stock")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return request;
    }

    /// <summary>A canonical push body of snapshots: each SKU's on hand and available at <c>units</c>, stamped now, with its source version.</summary>
    public static byte[] Snapshots(IEnumerable<(string Sku, long Units, long Version)> records)
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            records = records.Select(r => new { sku = r.Sku, type = "snapshot", onHand = r.Units, available = r.Units, sourceTime = now, sourceVersion = r.Version }),
        });
    }

    /// <summary>The "applied" count of a 200 answer from the push API or a webhook receiver.</summary>
    public static int Applied(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("applied", out var applied) && applied.TryGetInt32(out var n) ? n : 0;
    }

    public void Dispose()
    {
        Http.Dispose();
        _channel.Dispose();
    }
}

/// <summary>ShipHero "Inventory Update" bodies and their signature, shaped as tools/warehouse-sim sends them.</summary>
public static class ShipHero
{
    public const string SignatureHeader = "x-shiphero-hmac-sha256";

    /// <summary>ShipHero's id of the bench's warehouse: in every body, and the feeds' ExternalId, which the connector checks it against.</summary>
    public const string WarehouseId = "76733";

    /// <summary>base64(HMAC-SHA256(raw body, shared secret)): what Webhooks/SignedWebhook.cs in the connector checks.</summary>
    public static string Sign(byte[] body, string secret) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>One item per webhook, as ShipHero sends one per changed SKU; counts as strings, as ShipHero does.</summary>
    /// <param name="bad">On hand as "12 pcs", as a warehouse system's export sometimes gives it: the connector dead-letters the record.</param>
    public static byte[] InventoryUpdate(string sku, long onHand, long available, bool bad = false)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("account_id", 63_001);
            json.WriteString("account_uuid", "QWNjb3VudDo2MzAwMQ==");
            json.WriteString("webhook_type", "Inventory Update");
            json.WriteStartArray("inventory");
            json.WriteStartObject();
            json.WriteString("sku", sku);
            json.WriteString("inventory", available.ToString(CultureInfo.InvariantCulture));
            json.WriteString("backorder_quantity", "0");
            json.WriteString("on_hand", bad ? "12 pcs" : onHand.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("sell_ahead", 0);
            json.WriteNumber("qty_in_totes", 0);
            json.WriteNumber("reserve", 0);
            json.WriteNumber("non_sellable", 0);
            json.WriteBoolean("virtual", false);
            json.WriteStartObject("updated_warehouse");
            json.WriteNumber("warehouse_id", long.Parse(WarehouseId, CultureInfo.InvariantCulture));
            json.WriteString("warehouse_uuid", "V2FyZWhvdXNlOjc2NzMz");
            json.WriteString("identifier", "bench");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// Counts the ledger's Watch changes for some warehouses (decoding only what counting needs, see
/// WatchLite): how many arrived, and when the first and the last did. "Delivered to the ledger" is
/// confirmed here, from the ledger's own change stream, not from the connector's answers.
/// </summary>
public sealed class LedgerChangeCounter
{
    private long _changes;
    private long _first;
    private long _last;
    private long _header = -1;

    public long Changes => Volatile.Read(ref _changes);

    /// <summary>Stopwatch timestamp of the first change's arrival (0: none yet).</summary>
    public long FirstAt => Volatile.Read(ref _first);

    public long LastAt => Volatile.Read(ref _last);

    public Task Task { get; private set; } = Task.CompletedTask;

    /// <summary>Starts a new measurement: FirstAt is taken again from the next change on.</summary>
    public void ResetFirst() => Volatile.Write(ref _first, 0);

    /// <summary>Opens the stream and returns once the ledger's first header arrived (the stream is live).</summary>
    public async Task StartAsync(Ledger ledger, IEnumerable<string> warehouses, CancellationToken stop)
    {
        WatchLite.SelfTest();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new WatchRequest { StartRevision = 0, ProgressIntervalSeconds = 1 };
        request.WarehouseIds.Add(warehouses);
        Task = Task.Run(async () =>
        {
            try
            {
                using var call = ledger.Invoker().AsyncServerStreamingCall(WatchLite.Method, null, new CallOptions(ledger.AuthHeaders, cancellationToken: stop), request);
                await foreach (var response in call.ResponseStream.ReadAllAsync(stop))
                {
                    if (response.SourceVersions.Count > 0)
                    {
                        var now = Stopwatch.GetTimestamp();
                        Interlocked.CompareExchange(ref _first, now, 0);
                        Volatile.Write(ref _last, now);
                        Interlocked.Add(ref _changes, response.SourceVersions.Count);
                    }
                    Volatile.Write(ref _header, response.HeaderRevision);
                    ready.TrySetResult();
                }
            }
            catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // Stopped by us.
            }
            catch (Exception ex)
            {
                ready.TrySetException(ex);
                throw;
            }
        }, stop);
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), stop);
    }

    /// <summary>Waits until at least <paramref name="count"/> changes arrived, or the deadline; true when they did.</summary>
    public async Task<bool> WaitForAsync(long count, TimeSpan timeout, CancellationToken cancel, Func<bool>? alsoUntil = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < timeout && !Task.IsCompleted)
        {
            if (Changes >= count && (alsoUntil is null || alsoUntil()))
            {
                return true;
            }
            await Task.Delay(2, cancel);
        }
        return Changes >= count && (alsoUntil is null || alsoUntil());
    }
}

/// <summary>
/// Creates records directly in the ledger (version 1, nothing on hand), untimed, so a connector
/// scenario measures updates of SKUs the ledger already knows, as a warehouse's steady state is,
/// rather than the first sight of each SKU (which also indexes it).
/// </summary>
public static class LedgerSeed
{
    public static async Task PopulateAsync(Ledger ledger, string warehouse, IReadOnlyList<string> skus, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        using var call = ledger.Client().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: cancel);
        var sourceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(-1));
        var batches = skus.Chunk(500).ToArray();
        var reader = Task.Run(async () =>
        {
            long seeded = 0, refused = 0;
            await foreach (var ack in call.ResponseStream.ReadAllAsync(cancel))
            {
                // Applied, or already there from an earlier run (stale, duplicate): either way the record exists.
                var rejected = ack.Results.Count(r => r.Outcome == EventOutcome.Rejected);
                seeded += ack.Results.Count - rejected;
                refused += rejected;
            }
            return (seeded, refused);
        }, cancel);
        foreach (var batch in batches)
        {
            var request = new ApplyStockEventsRequest { BatchId = "seed" };
            request.Events.Add(batch.Select(sku => new StockEvent
            {
                WarehouseId = warehouse,
                Sku = sku,
                SourceTime = sourceTime,
                Snapshot = new StockSnapshot { SourceVersion = 1, Quantities = new Quantities() },
            }));
            await call.RequestStream.WriteAsync(request, cancel);
        }
        await call.RequestStream.CompleteAsync();
        var (seededCount, refusedCount) = await reader;
        if (seededCount != skus.Count)
        {
            throw new InvalidOperationException($"seeding {warehouse}: {seededCount} of {skus.Count} records created ({refusedCount} rejected)");
        }
        Console.WriteLine($"  seeded {skus.Count} records at {warehouse} in {Clock.Seconds(started):F1} s");
    }
}
