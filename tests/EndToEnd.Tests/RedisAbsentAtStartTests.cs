using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Stockcast.ServiceDefaults;
using Stockcast.Testing;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Stockcast.EndToEnd.Tests;

/// <summary>
/// Every service started before its Redis (a node restarting, a Redis pod scheduled late) stays up:
/// alive, NOT_SERVING on gRPC readiness, and SERVING by itself once Redis is there, as Kubernetes'
/// probes expect. Nothing is restarted by the test. Its own processes (the shared system has its
/// Redis from the start); it is the fault matrix's "Redis started after the services" row.
/// </summary>
[Collection(WholeSystemCollection.Name)]
[Trait(Lane.Name, Lane.Slow)]
public sealed class RedisAbsentAtStartTests(FaultMatrixReport report) : IDisposable
{
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(60);
    private readonly RedisProcess _redis = new();
    private readonly List<ServiceProcess> _services = [];

    public void Dispose()
    {
        foreach (var service in _services)
        {
            service.Dispose();
        }
        _redis.Dispose();
    }

    [Fact]
    public async Task EveryServiceStartedBeforeRedisStaysUpNotServingAndServesOnceRedisIsThere()
    {
        // Started on liveness (/healthz): readiness cannot come before Redis does.
        var ledger = Started(new LedgerProcess(_redis.EndPoint, readinessPath: "/healthz"));
        Started(new ConnectorProcess(_redis.EndPoint, ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>(), readinessPath: "/healthz"));
        Started(new AlertingProcess(_redis.EndPoint, ledger.GrpcAddress, readinessPath: "/healthz"));
        Started(new OverlayProcess(_redis.EndPoint, ledger.GrpcAddress, readinessPath: "/healthz"));
        await Task.WhenAll(_services.Select(s => s.StartAsync()));

        foreach (var service in _services)
        {
            await Eventually.TrueAsync(async () => await StatusAsync(service) == ServingStatus.NotServing, $"{service.GetType().Name} reports NOT_SERVING without Redis");
            Assert.Equal(ServingStatus.Serving, await StatusAsync(service, HealthTags.LivenessService));
        }

        _redis.Start();
        var redisUp = Stopwatch.StartNew();

        foreach (var service in _services)
        {
            await Eventually.TrueAsync(async () => await StatusAsync(service) == ServingStatus.Serving, $"{service.GetType().Name} reports SERVING once Redis is there", RecoveryDeadline);
            Assert.Equal(1, service.Starts);
        }
        report.Add(new FaultRow(FaultMatrixReport.RedisLate, "all (each started once, alive and NOT_SERVING until Redis came)",
            "no room can exist before Redis: rooms are kept there", "none (alerting NOT_SERVING until Redis came)", 0, 0, redisUp.Elapsed));
    }

    private ServiceProcess Started(ServiceProcess service)
    {
        _services.Add(service);
        return service;
    }

    private static async Task<ServingStatus> StatusAsync(ServiceProcess service, string name = "")
    {
        using var channel = GrpcChannel.ForAddress(service.GrpcAddress);
        return (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = name }, deadline: DateTime.UtcNow.AddSeconds(5))).Status;
    }
}
