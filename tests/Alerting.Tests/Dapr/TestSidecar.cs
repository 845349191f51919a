using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stockcast.Alerting.Tests.Dapr.Runtime;

namespace Stockcast.Alerting.Tests.Dapr;

/// <summary>
/// A stand-in for daprd: Dapr's runtime gRPC API (the PublishEvent call of dapr.proto.runtime.v1.Dapr)
/// on a Kestrel loopback port, recording what it is asked to publish. It can be told to fail every
/// call with UNAVAILABLE — as daprd does while it restarts or its broker is away — until it recovers.
/// </summary>
public sealed class TestSidecar : IAsyncDisposable
{
    private WebApplication? _app;
    private volatile bool _failing;
    private int _failed;

    /// <summary>Requests published (answered OK), in order.</summary>
    public ConcurrentQueue<PublishEventRequest> Published { get; } = new();

    /// <summary>Requests answered UNAVAILABLE, in order.</summary>
    public ConcurrentQueue<PublishEventRequest> Refused { get; } = new();

    /// <summary>Every gRPC method called (its path), served or not.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>The dapr-api-token header of the latest call, if any.</summary>
    public string? LastApiToken { get; private set; }

    public int FailedCalls => Volatile.Read(ref _failed);

    /// <summary>The address to give the DaprClient (UseGrpcEndpoint).</summary>
    public string GrpcEndpoint { get; private set; } = "";

    public static async Task<TestSidecar> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Nothing of the test directory's settings (the services' appsettings.json name Kestrel endpoints).
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var sidecar = new TestSidecar();
        builder.Services.AddSingleton(sidecar);
        var app = sidecar._app = builder.Build();
        app.Use((context, next) =>
        {
            sidecar.Calls.Enqueue(context.Request.Path.Value ?? "");
            return next(context);
        });
        app.MapGrpcService<DaprRuntime>();
        await app.StartAsync();
        sidecar.GrpcEndpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return sidecar;
    }

    /// <summary>From now on every publish is answered UNAVAILABLE.</summary>
    public void Fail() => _failing = true;

    public void Recover() => _failing = false;

    public ValueTask DisposeAsync() => _app?.DisposeAsync() ?? ValueTask.CompletedTask;

    private PublishEventRequest Record(PublishEventRequest request, ServerCallContext context)
    {
        LastApiToken = context.RequestHeaders.GetValue("dapr-api-token");
        if (_failing)
        {
            Refused.Enqueue(request);
            Interlocked.Increment(ref _failed);
            throw new RpcException(new Status(StatusCode.Unavailable, "the pub/sub component is not reachable"));
        }
        Published.Enqueue(request);
        return request;
    }

    private sealed class DaprRuntime(IServiceProvider services) : Runtime.Dapr.DaprBase
    {
        public override Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
        {
            services.GetRequiredService<TestSidecar>().Record(request, context);
            return Task.FromResult(new Empty());
        }
    }
}
