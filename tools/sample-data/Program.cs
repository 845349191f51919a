using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Stockcast.Ledger.V1;

// Usage: Stockcast.SampleData <ledger-url> <api-key-file> [--live] [--alerting <alerting-url>] [--overlay <overlay-url>] [--connector <connector-http-url>]
// Registers four warehouses, seeds ~100 SKU x warehouse records, and with --live keeps
// selling, reserving and restocking (a few changes a second) until stopped. With --alerting it
// also schedules a live room (on now, US) and one later tonight (DE) with rules and products, and
// sends add-to-cart signals for the featured SKUs while live. With --overlay it creates the same two
// rooms on overlay-broadcast and prints a viewer token's event-stream path and an operator token's
// board path for each. With --connector it plays the four warehouses' systems reporting in: an
// empty push (a heartbeat: nothing else changed) every 2 s, so their feeds stay fresh.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Stockcast.SampleData <ledger-url> <api-key-file> [--live] [--alerting <alerting-url>] [--overlay <overlay-url>] [--connector <connector-http-url>]");
    return 2;
}
var key = (await File.ReadAllTextAsync(args[1])).Trim();
using var channel = GrpcChannel.ForAddress(args[0]);
var client = new StockLedger.StockLedgerClient(channel);
var auth = new Metadata { { "Authorization", "Bearer " + key } };
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

Warehouse[] warehouses =
[
    new() { WarehouseId = "us-lax-shipbob", Region = "us-west", Markets = { "US", "CA" }, AllocationDelayMs = 60_000 },
    new() { WarehouseId = "us-nj-fba", Region = "us-east", Markets = { "US" }, AllocationDelayMs = 300_000 },
    new() { WarehouseId = "de-fra-ck1", Region = "eu-central", Markets = { "DE", "FR", "NL", "AT" }, AllocationDelayMs = 120_000 },
    new() { WarehouseId = "my-kul-3pl", Region = "sea", Markets = { "MY", "SG", "TH" }, AllocationDelayMs = 120_000 },
];
string[] catalogue =
[
    "TEE-OVERSIZE-WHT-S", "TEE-OVERSIZE-WHT-M", "TEE-OVERSIZE-WHT-L", "TEE-OVERSIZE-BLK-M",
    "HOODIE-FLEECE-GRY-M", "HOODIE-FLEECE-GRY-L", "LIPTINT-VELVET-ROSE", "LIPTINT-VELVET-CORAL",
    "RINGLIGHT-LED-10IN", "PHONECASE-MAGSAFE-CLR", "EARBUDS-ANC-PRO", "SCRUNCHIE-SILK-6PK",
    "WATERBOTTLE-1L-SAGE", "YOGAMAT-6MM-LILAC", "SERUM-VITC-30ML", "SUNSCREEN-SPF50-50ML",
    "BACKPACK-ROLLTOP-BLK", "SNEAKER-CLOUD-40", "SNEAKER-CLOUD-41", "SNEAKER-CLOUD-42",
    "CANDLE-SOY-FIG", "MINI-FAN-USB-PNK", "KEYBOARD-MECH-75", "SKINCARE-SET-TRAVEL", "STANLEY-CUP-40OZ",
];

var random = new Random(42);
var versions = new Dictionary<(string, string), long>();
StockEvent Snapshot(string warehouse, string sku, long available)
{
    var version = versions[(warehouse, sku)] = versions.GetValueOrDefault((warehouse, sku)) + 1;
    return new StockEvent
    {
        WarehouseId = warehouse,
        Sku = sku,
        SourceTime = Timestamp.FromDateTime(DateTime.UtcNow),
        Snapshot = new StockSnapshot
        {
            SourceVersion = version,
            Quantities = new Quantities { OnHand = available + random.Next(0, 8), Available = available, Reserved = random.Next(0, 8), Inbound = random.Next(0, 4) * 50, Unsellable = random.Next(0, 3) },
        },
    };
}

foreach (var warehouse in warehouses)
{
    await client.RegisterWarehouseAsync(new RegisterWarehouseRequest { Warehouse = warehouse }, auth);
}
var seed = new ApplyStockEventsRequest { BatchId = "seed" };
foreach (var warehouse in warehouses)
{
    // Not every warehouse stocks everything, and a few items are nearly gone: as in real life.
    seed.Events.AddRange(catalogue.Where(_ => random.NextDouble() < 0.8).Select(sku => Snapshot(warehouse.WarehouseId, sku, random.NextDouble() < 0.15 ? random.Next(0, 12) : random.Next(40, 900))));
    // The demo's hot item is nearly gone for US viewers while Europe has plenty: the alerting demo
    // room shows a low-stock alert and a transfer suggestion from the start.
    if (warehouse.WarehouseId != "de-fra-ck1")
    {
        seed.Events.Add(Snapshot(warehouse.WarehouseId, "STANLEY-CUP-40OZ", random.Next(1, 4)));
    }
    else
    {
        seed.Events.Add(Snapshot(warehouse.WarehouseId, "STANLEY-CUP-40OZ", 480));
    }
}
using (var apply = client.ApplyStockEvents(auth))
{
    await apply.RequestStream.WriteAsync(seed);
    await apply.ResponseStream.MoveNext(stop.Token);
    Console.WriteLine($"Seeded {seed.Events.Count} stock records across {warehouses.Length} warehouses (revision {apply.ResponseStream.Current.Revision}).");
    await apply.RequestStream.CompleteAsync();
}
var alertingAt = Array.IndexOf(args, "--alerting") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
using var alertingChannel = alertingAt is null ? null : GrpcChannel.ForAddress(alertingAt);
var alerting = alertingChannel is null ? null : new Stockcast.Alerting.V1.Alerting.AlertingClient(alertingChannel);
// The last one comes from the simulated warehouses the connector polls (make run's messy ShipBob and
// Amazon accounts), so the US board shows a polled feed, its dead letters and its DEGRADED state.
string[] featured = ["TEE-OVERSIZE-WHT-M", "HOODIE-FLEECE-GRY-M", "LIPTINT-VELVET-ROSE", "EARBUDS-ANC-PRO", "STANLEY-CUP-40OZ", "SNEAKER-CLOUD-41", "LIP-RED-01"];
// What viewers read instead of the codes, in each demo room's language (English is the display name).
var names = new Dictionary<string, (string En, string De, string Zh)>
{
    ["TEE-OVERSIZE-WHT-M"] = ("Oversize tee, white, M", "Oversize-Shirt, weiß, M", "宽松T恤 白色 M码"),
    ["HOODIE-FLEECE-GRY-M"] = ("Fleece hoodie, grey, M", "Fleece-Hoodie, grau, M", "抓绒卫衣 灰色 M码"),
    ["LIPTINT-VELVET-ROSE"] = ("Velvet lip tint, rose", "Samt-Lip-Tint, Rosé", "丝绒唇釉 玫瑰色"),
    ["EARBUDS-ANC-PRO"] = ("Noise-cancelling earbuds Pro", "ANC-Ohrhörer Pro", "降噪耳机 Pro"),
    ["STANLEY-CUP-40OZ"] = ("Insulated tumbler, 40 oz", "Thermobecher, 1,2 l", "保温杯 1.2升"),
    ["SNEAKER-CLOUD-41"] = ("Cloud sneaker, EU 41", "Cloud-Sneaker, Gr. 41", "云朵运动鞋 41码"),
    ["LIP-RED-01"] = ("Classic red lipstick", "Klassischer roter Lippenstift", "经典红唇膏"),
    ["SERUM-VITC-30ML"] = ("Vitamin C serum, 30 ml", "Vitamin-C-Serum, 30 ml", "维C精华 30毫升"),
    ["SUNSCREEN-SPF50-50ML"] = ("Sunscreen SPF 50, 50 ml", "Sonnencreme LSF 50, 50 ml", "防晒霜 SPF50 50毫升"),
};
Dictionary<string, string> NamesOf(string sku) => names.TryGetValue(sku, out var n) ? new() { ["en"] = n.En, ["de"] = n.De, ["zh-Hans"] = n.Zh } : [];
string DisplayName(string sku) => names.TryGetValue(sku, out var n) ? n.En : sku.Replace('-', ' ');
// The Chinese-language room: Chinese-speaking viewers in Singapore, served from the Kuala Lumpur warehouse.
string[] featuredCn = ["LIPTINT-VELVET-ROSE", "SERUM-VITC-30ML", "SUNSCREEN-SPF50-50ML", "EARBUDS-ANC-PRO"];
if (alerting is not null)
{
    await alerting.UpsertProductsAsync(new Stockcast.Alerting.V1.UpsertProductsRequest
    {
        Products = { catalogue.Select(sku => new Stockcast.Alerting.V1.Product { Sku = sku, Category = sku.Split('-')[0].ToLowerInvariant(), Name = DisplayName(sku), Names = { NamesOf(sku) } }) },
    }, auth);
    var now = DateTimeOffset.UtcNow;
    await alerting.UpsertStreamAsync(new Stockcast.Alerting.V1.LiveStream
    {
        Id = "demo-room-us", Market = "US", Skus = { featured },
        StartsAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-5)), EndsAt = Timestamp.FromDateTimeOffset(now.AddHours(3)),
    }, auth);
    await alerting.UpsertStreamAsync(new Stockcast.Alerting.V1.LiveStream
    {
        Id = "demo-room-de", Market = "DE", Skus = { featured.Take(4) },
        StartsAt = Timestamp.FromDateTimeOffset(now.AddHours(2)), EndsAt = Timestamp.FromDateTimeOffset(now.AddHours(4)),
    }, auth);
    await alerting.SetRuleAsync(new Stockcast.Alerting.V1.Rule { RoomId = "demo-room-us", LowStockUnits = 30, LowStockPercent = 30 }, auth);
    Console.WriteLine("Scheduled demo-room-us (live now, US) and demo-room-de (in 2 h, DE) on the alerting service.");
}
var overlayAt = Array.IndexOf(args, "--overlay") is var oat and >= 0 && oat + 1 < args.Length ? args[oat + 1] : null;
using var overlayChannel = overlayAt is null ? null : GrpcChannel.ForAddress(overlayAt);
var overlay = overlayChannel is null ? null : new Stockcast.Overlay.V1.Overlay.OverlayClient(overlayChannel);
// Each room speaks its viewers' language: English (US), German (DE, from its market; hosted by the
// seller's Chinese-speaking team, so its cues are in Chinese) and Chinese (Singapore's Chinese speakers).
var rooms = new[]
{
    (Id: "demo-room-us", Market: "US", Language: "", Host: "", Title: "Spring drop", Skus: featured),
    (Id: "demo-room-de", Market: "DE", Language: "", Host: "zh-Hans", Title: "Frühlings-Drop", Skus: featured[..4]),
    (Id: "demo-room-cn", Market: "SG", Language: "zh-Hans", Host: "", Title: "春季新品直播", Skus: featuredCn),
};
if (overlay is not null)
{
    var now = DateTimeOffset.UtcNow;
    foreach (var (id, market, language, host, title, skus) in rooms)
    {
        await overlay.UpsertRoomAsync(new Stockcast.Overlay.V1.Room
        {
            Id = id, Title = title, Market = market, HostLanguage = host,
            Platforms = { Stockcast.Overlay.V1.Platform.Tiktok, Stockcast.Overlay.V1.Platform.Youtube },
            Featured = { skus.Select(sku => new Stockcast.Overlay.V1.FeaturedSku { Sku = sku, DisplayName = DisplayName(sku), Names = { NamesOf(sku) }, GreenAtOrAbove = 100, YellowAtOrAbove = 30 }) },
            Display = new Stockcast.Overlay.V1.DisplayOptions { CountDown = true, HeatMap = true, SoldOutCard = true, Language = language },
            StartsAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-5)), EndsAt = Timestamp.FromDateTimeOffset(now.AddHours(4)),
        }, auth);
        var token = await overlay.IssueTokenAsync(new Stockcast.Overlay.V1.IssueTokenRequest { RoomId = id }, auth);
        Console.WriteLine($"overlay {id}: {token.OverlayPath}");
        var board = await overlay.IssueTokenAsync(new Stockcast.Overlay.V1.IssueTokenRequest { RoomId = id, Scope = Stockcast.Overlay.V1.TokenScope.Operator }, auth);
        Console.WriteLine($"board {id}: {board.BoardPath}");
    }
}
if (!args.Contains("--live"))
{
    return 0;
}

// Live: a stream is on; sales trickle in as deltas, viewers reserve and check out, a restock lands now and then.
Console.WriteLine("Live activity running (sales, reservations, restocks); Ctrl-C stops it.");
var sale = 0;
var run = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
var connectorAt = Array.IndexOf(args, "--connector") is var cat and >= 0 && cat + 1 < args.Length ? new Uri(args[cat + 1]) : null;
using var pusher = new HttpClient { BaseAddress = connectorAt };
pusher.DefaultRequestHeaders.Authorization = new("Bearer", key);
var heartbeatAt = DateTimeOffset.MinValue;
var spotlightAt = DateTimeOffset.MinValue;
var spotlit = 0;
var stocked = seed.Events.Select(e => (e.WarehouseId, e.Sku)).ToArray();
var live = client.ApplyStockEvents(auth, cancellationToken: stop.Token);
var away = 0; // rounds failed in a row: a service restarting (make run restarts one that dies) pauses the demo, never ends it
try
{
    while (!stop.IsCancellationRequested)
    {
        try
        {
            if (connectorAt is not null && DateTimeOffset.UtcNow - heartbeatAt > TimeSpan.FromSeconds(2))
            {
                foreach (var w in warehouses)
                {
                    using var beat = await pusher.PostAsync($"v1/warehouses/{w.WarehouseId}/stock", new StringContent("""{"records":[]}""", System.Text.Encoding.UTF8, "application/json"), stop.Token);
                }
                heartbeatAt = DateTimeOffset.UtcNow;
            }
            var (warehouse, sku) = stocked[random.Next(stocked.Length)];
            var roll = random.NextDouble();
            if (roll < 0.6)
            {
                var quantity = random.Next(1, 3);
                await live.RequestStream.WriteAsync(new ApplyStockEventsRequest
                {
                    BatchId = $"sale-{sale}",
                    Events =
                    {
                        new StockEvent
                        {
                            WarehouseId = warehouse, Sku = sku, SourceTime = Timestamp.FromDateTime(DateTime.UtcNow),
                            Delta = new StockDelta { EventId = $"sample-sale-{Guid.NewGuid():N}", Change = new Quantities { OnHand = -quantity, Available = -quantity } },
                        },
                    },
                });
                await live.ResponseStream.MoveNext(stop.Token);
            }
            else if (roll < 0.9)
            {
                var market = warehouses.First(w => w.WarehouseId == warehouse).Markets[0];
                var order = $"live-order-{run}-{++sale}"; // unique across runs: make run's Redis keeps earlier orders
                try
                {
                    await client.ReserveAsync(new ReserveRequest { OrderId = order, Sku = sku, Market = market, Quantity = 1, HoldSeconds = 120 }, auth, cancellationToken: stop.Token);
                    if (random.NextDouble() < 0.7)
                    {
                        await client.CommitAsync(new CommitRequest { OrderId = order }, auth, cancellationToken: stop.Token);
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
                {
                    // Sold out in that market: exactly what the live room needs to see.
                }
            }
            else
            {
                await live.RequestStream.WriteAsync(new ApplyStockEventsRequest { BatchId = $"restock-{sale}", Events = { Snapshot(warehouse, sku, random.Next(100, 600)) } });
                await live.ResponseStream.MoveNext(stop.Token);
            }
            if (overlay is not null && DateTimeOffset.UtcNow - spotlightAt > TimeSpan.FromSeconds(20))
            {
                // The operator puts the next product on screen in each room now and then: a spotlight cue for the host.
                spotlightAt = DateTimeOffset.UtcNow;
                spotlit++;
                foreach (var room in rooms)
                {
                    await overlay.SpotlightAsync(new Stockcast.Overlay.V1.SpotlightRequest { RoomId = room.Id, Query = room.Skus[spotlit % room.Skus.Length] }, auth, cancellationToken: stop.Token);
                }
            }
            if (alerting is not null && random.NextDouble() < 0.3)
            {
                // Viewers adding featured items to their carts: the demand the trend rule watches.
                await alerting.IngestAsync(new Stockcast.Alerting.V1.IngestRequest
                {
                    Signals = { new Stockcast.Alerting.V1.Signal { EventId = $"cart-{Guid.NewGuid():N}", Kind = Stockcast.Alerting.V1.SignalKind.AddToCart, Sku = featured[random.Next(featured.Length)], Market = "US", RoomId = "demo-room-us" } },
                }, auth, cancellationToken: stop.Token);
            }
            if (away > 0)
            {
                Console.WriteLine("Live activity resumed.");
                away = 0;
            }
        }
        catch (Exception ex) when (!stop.IsCancellationRequested && ex is not OperationCanceledException)
        {
            if (away++ == 0)
            {
                Console.WriteLine($"Live activity paused: a service did not answer ({ex.GetType().Name}: {ex.Message.Split('\n')[0]}); retrying until it does.");
            }
            live.Dispose();
            live = client.ApplyStockEvents(auth, cancellationToken: stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(away - 1, 5))), stop.Token);
            continue;
        }
        await Task.Delay(TimeSpan.FromMilliseconds(random.Next(150, 700)), stop.Token);
    }
}
catch (OperationCanceledException)
{
    // Stopped by the user.
}
catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
{
    // Stopped by the user.
}
finally
{
    live.Dispose();
}
return 0;
