using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

public sealed class HealthAndAccessTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task HealthGoesNotServingWhileRedisIsDownAndRecoversByItself()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = await new LedgerHost(own.EndPoint).ReadyAsync();
        var health = new Health.HealthClient(host.Channel(apiKey: null));
        async Task<HealthCheckResponse.Types.ServingStatus> Status() => (await health.CheckAsync(new HealthCheckRequest())).Status;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Status());

        own.Stop();
        await Eventually.TrueAsync(async () => await Status() == HealthCheckResponse.Types.ServingStatus.NotServing, "health reports NOT_SERVING");

        own.Start();
        await Eventually.TrueAsync(async () => await Status() == HealthCheckResponse.Types.ServingStatus.Serving, "health reports SERVING again");
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task LivenessStaysServingAndRedisErrorsAreCountedWhileRedisIsDown()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = await new LedgerHost(own.EndPoint).ReadyAsync();
        var health = new Health.HealthClient(host.Channel(apiKey: null));
        var failures = host.Services.GetRequiredService<RedisMetrics>().Errors.WithLabels(RedisMetrics.ConnectionFailed);
        Assert.Equal(0, failures.Value);

        own.Stop();
        await Eventually.TrueAsync(async () => (await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.NotServing, "readiness reports NOT_SERVING");
        // The connection keeps trying in the background, each failure counted: only "some".
        await Eventually.TrueAsync(() => failures.Value > 0, "stockcast_redis_errors_total counts the lost connection");

        var liveness = await health.CheckAsync(new HealthCheckRequest { Service = HealthTags.LivenessService });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, liveness.Status);
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task ReservationsSurviveARedisRestartWithAppendOnlyPersistence()
    {
        using var own = new RedisProcess("--appendonly", "yes", "--appendfsync", "always");
        own.Start();
        using var host = await new LedgerHost(own.EndPoint).ReadyAsync();
        var client = host.Client();
        await client.ApplyAsync(Stock.Snapshot("us-east", "AOF", 5, version: 1));
        await client.ReserveAsync(new ReserveRequest { OrderId = "survivor", Sku = "AOF", Market = "US", Quantity = 2 });

        own.Stop(); // SIGKILL: no chance to save on the way out
        own.Start();

        await Eventually.TrueAsync(async () => await client.AtpAsync("AOF", "US") == 3, "the ledger reads the reservation back after Redis restarts");
        Assert.Equal(ReservationStatus.Held, (await client.GetReservationAsync(new GetReservationRequest { OrderId = "survivor" })).Status);
    }

    [Fact]
    public async Task WritesWithoutAKeyAreUnauthenticatedAndWithAReadKeyDenied()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var reserve = new ReserveRequest { OrderId = "x", Sku = "Y", Market = "US", Quantity = 1 };

        var anonymous = await Stock.FailsAsync(() => host.Client(apiKey: null).ReserveAsync(reserve).ResponseAsync);
        var wrongKey = await Stock.FailsAsync(() => host.Client(apiKey: "not-a-key-not-a-key-not-a-key").ReserveAsync(reserve).ResponseAsync);
        using var write = host.Client(LedgerHost.ReaderKey).ApplyStockEvents();
        try
        {
            await write.RequestStream.WriteAsync(new ApplyStockEventsRequest { Events = { Stock.Snapshot("us-east", "Y", 1, version: 1) } });
        }
        catch (RpcException)
        {
            // The ledger may have refused the call before the write got out; its status says why.
        }
        var reader = await Stock.FailsAsync(() => write.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, wrongKey.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, reader.StatusCode);
        Assert.Empty((await host.Client(LedgerHost.ReaderKey).ListStockAsync(new ListStockRequest())).Records);
    }

    [Fact]
    public async Task ReadsNeedAKeyUnlessAnonymousReadsAreTurnedOn()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        using var open = await new LedgerHost(redis.Configuration, host.Namespace, new Dictionary<string, string?> { ["Auth:AllowAnonymousReads"] = "true" }).ReadyAsync();

        var anonymous = await Stock.FailsAsync(() => host.Client(apiKey: null).ListWarehousesAsync(new ListWarehousesRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(3, (await host.Client(LedgerHost.ReaderKey).ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count);
        Assert.Equal(3, (await open.Client(apiKey: null).ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count);
    }

    [Fact]
    public async Task ARotatedKeyIsAcceptedAlongsideTheOldOneAndTheOldOneRefusedAfterRemoval()
    {
        const string OldKey = "orders-key-2026-11-0123456789abcdef";
        const string NewKey = "orders-key-2026-12-0123456789abcdef";
        static Dictionary<string, string?> Orders(params string[] keys) => keys
            .SelectMany((key, i) => new Dictionary<string, string?> { [$"Auth:ApiKeys:{3 + i}:Name"] = "orders", [$"Auth:ApiKeys:{3 + i}:Key"] = key, [$"Auth:ApiKeys:{3 + i}:Access"] = "Write" })
            .ToDictionary();
        var reserve = (string order) => new ReserveRequest { OrderId = order, Sku = "ROTATE", Market = "US", Quantity = 1 };
        string deployment;
        using (var before = await new LedgerHost(redis.Configuration, settings: Orders(OldKey)).ReadyAsync())
        {
            deployment = before.Namespace;
            await before.Client().ApplyAsync(Stock.Snapshot("us-east", "ROTATE", 10, version: 1));
            Assert.Equal(ReservationStatus.Held, (await before.Client(OldKey).ReserveAsync(reserve("old-only"))).Status);
        }

        // Step 1 of a rotation: the new key beside the old one (a rolling restart with both in the Secret).
        using (var both = await new LedgerHost(redis.Configuration, deployment, Orders(OldKey, NewKey)).ReadyAsync())
        {
            Assert.Equal(ReservationStatus.Held, (await both.Client(OldKey).ReserveAsync(reserve("old-during"))).Status);
            Assert.Equal(ReservationStatus.Held, (await both.Client(NewKey).ReserveAsync(reserve("new-during"))).Status);
        }

        // Step 2, once every caller sends the new key: the old one removed.
        using var after = await new LedgerHost(redis.Configuration, deployment, Orders(NewKey)).ReadyAsync();
        var old = await Stock.FailsAsync(() => after.Client(OldKey).ReserveAsync(reserve("old-after")).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, old.StatusCode);
        Assert.Equal(ReservationStatus.Held, (await after.Client(NewKey).ReserveAsync(reserve("new-after"))).Status);
    }

    [Fact]
    public void ALedgerWithoutAWriteKeyRefusesToStartAndSaysWhichSetting()
    {
        using var host = new LedgerHost(redis.Configuration, settings: new Dictionary<string, string?> { ["Auth:ApiKeys:1:Access"] = "Read", ["Auth:ApiKeys:2:Access"] = "Read" });

        var error = Assert.Throws<OptionsValidationException>(() => host.Client());

        Assert.Contains("Auth:ApiKeys needs at least one key with Access=Write or Admin", error.Message);
    }

    [Fact]
    public void ALedgerWithAnInvalidWarehouseInItsSettingsRefusesToStart()
    {
        using var host = new LedgerHost(redis.Configuration, settings: new Dictionary<string, string?> { ["Ledger:Warehouses:0:Markets:0"] = "U S" });

        var error = Assert.Throws<OptionsValidationException>(() => host.Client());

        Assert.Contains("Ledger:Warehouses:0: markets", error.Message);
    }

    [Fact]
    public async Task MetricsExposeSyncLagAndEventOutcomesPerWarehouse()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        await host.Client().ApplyAsync(Stock.Snapshot("eu-de", "METRIC", 5, version: 1, at: DateTimeOffset.UtcNow.AddSeconds(-3)));

        var text = await host.MetricsAsync();

        Assert.Contains("stockcast_ledger_sync_lag_seconds_bucket{warehouse=\"eu-de\"", text);
        Assert.Contains("stockcast_ledger_events_total{warehouse=\"eu-de\",outcome=\"applied\"} 1\n", text);
        Assert.Contains("stockcast_ledger_last_applied_timestamp_seconds{warehouse=\"eu-de\"}", text);
        Assert.Contains("grpc_server_handled_total{grpc_service=\"stockcast.ledger.v1.StockLedger\",grpc_method=\"ApplyStockEvents\"", text);
    }

    [Fact]
    public async Task EveryCallIsCountedOnceByMethodAndStatusAndTimedWhenUnary()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var reader = host.Client(LedgerHost.ReaderKey);
        for (var i = 0; i < 3; i++)
        {
            await reader.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "COUNTED", Market = "US" });
        }
        await Stock.FailsAsync(() => reader.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "", Market = "US" }).ResponseAsync);

        var text = await host.MetricsAsync();

        const string Labels = "grpc_service=\"stockcast.ledger.v1.StockLedger\",grpc_method=\"GetAvailability\",grpc_type=\"unary\"";
        Assert.Contains($"grpc_server_started_total{{{Labels}}} 4\n", text);
        Assert.Contains($"grpc_server_handled_total{{{Labels},grpc_code=\"OK\"}} 3\n", text);
        Assert.Contains($"grpc_server_handled_total{{{Labels},grpc_code=\"InvalidArgument\"}} 1\n", text);
        Assert.Contains($"grpc_server_handling_seconds_count{{{Labels}}} 4\n", text);
    }

    [Fact]
    public async Task MetricsAnswerOnTheManagementPortOnlyAndHealthOnBoth()
    {
        using var host = LedgerHost.OnSockets(redis.Configuration);
        var management = host.Ports!.Address(LoopbackPorts.Management);
        var @public = host.Ports.Address(LoopbackPorts.Http);
        using var http = new HttpClient();
        async Task<HttpStatusCode> Status(Uri port, string path, string? hostHeader = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(port, path));
            request.Headers.Host = hostHeader;
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        await Eventually.TrueAsync(async () => await Status(management, "/readyz") == HttpStatusCode.OK, "the ledger is ready");

        Assert.Contains("stockcast_ledger_", await http.GetStringAsync(new Uri(management, "/metrics")));
        Assert.Equal(HttpStatusCode.NotFound, await Status(@public, "/metrics"));
        // The port a request arrived on decides, never the Host header a client writes.
        Assert.Equal(HttpStatusCode.NotFound, await Status(@public, "/metrics", $"127.0.0.1:{management.Port}"));
        Assert.Equal(HttpStatusCode.OK, await Status(management, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, await Status(@public, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, await Status(@public, "/readyz"));
    }
}
