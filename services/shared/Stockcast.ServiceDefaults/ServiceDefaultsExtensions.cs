using System.ComponentModel.DataAnnotations;
using Grpc.AspNetCore.HealthChecks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Prometheus;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Grpc;
using Stockcast.ServiceDefaults.Logging;
using Stockcast.ServiceDefaults.Management;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.ServiceDefaults;

public sealed class GrpcHostOptions
{
    public const string Section = "Grpc";

    /// <summary>Server reflection lets grpcurl and Postman discover the API; on locally, off by default in the chart.</summary>
    public bool EnableReflection { get; set; }

    /// <summary>Largest request message accepted, in bytes.</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long to wait for streams to end after SIGTERM before the process exits.</summary>
    [Range(1, 300)]
    public int ShutdownTimeoutSeconds { get; set; } = 20;
}

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// Everything a Stockcast service has in common: gRPC with metrics and error mapping, health,
    /// API-key auth, per-host metrics, the stream loop, validated options, structured logs and a
    /// bounded graceful shutdown, and logs that never carry a token or key.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCredentialRedaction();
        var grpcOptions = builder.Configuration.GetSection(GrpcHostOptions.Section).Get<GrpcHostOptions>() ?? new GrpcHostOptions();
        builder.Services.AddValidatedOptions<GrpcHostOptions>(builder.Configuration, GrpcHostOptions.Section);
        builder.Services.AddSingleton(ManagementPort.From(builder.Configuration));

        // Metrics belong to the host, not the process: two services (or two test hosts) in one
        // process each export, and count, only their own.
        builder.Services.AddSingleton(_ =>
        {
            var registry = Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        builder.Services.AddSingleton<IMetricFactory>(sp => Metrics.WithCustomRegistry(sp.GetRequiredService<CollectorRegistry>()));
        builder.Services.AddSingleton<StreamMetrics>();
        builder.Services.AddSingleton<Streams>();

        // Metrics first (outermost), so they count the status the error mapping chose.
        builder.Services.AddSingleton<GrpcMetricsInterceptor>();
        builder.Services.AddSingleton<GrpcErrorInterceptor>();
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<GrpcMetricsInterceptor>();
            o.Interceptors.Add<GrpcErrorInterceptor>();
            o.MaxReceiveMessageSize = grpcOptions.MaxReceiveMessageBytes;
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
        });
        builder.Services.AddGrpcReflection();

        // gRPC health (grpc.health.v1) reports the "ready" checks, so Kubernetes' native gRPC
        // probes and load balancers stop sending work when Redis is unreachable.
        builder.Services.AddHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy(), tags: [HealthTags.Live]);
        builder.Services.AddGrpcHealthChecks(o =>
        {
            // Check answers what the publisher found at most its period ago (as Watch does) instead of
            // running every check, a Redis PING included, on each probe: probes stay cheap, and a probe
            // flood never reaches Redis. /readyz on the management port still checks live.
            o.UseHealthChecksCache = true;
            o.Services.Map("", r => r.Tags.Contains(HealthTags.Ready));
            o.Services.Map(HealthTags.LivenessService, r => r.Tags.Contains(HealthTags.Live));
        });
        builder.Services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.Zero;
            o.Period = TimeSpan.FromSeconds(2);
        });

        builder.AddApiKeyAuth();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<HttpErrorHandler>();

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(grpcOptions.ShutdownTimeoutSeconds));
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Health (gRPC and HTTP), Prometheus metrics and, when enabled, gRPC reflection. Always on:
    /// Kubernetes probes and Prometheus need them in every environment. Metrics answer on the
    /// management port only; /healthz and /readyz there and on the public ports (they say nothing);
    /// gRPC health and reflection on the gRPC port, where Kubernetes' gRPC probes and grpcurl reach them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.Services.GetRequiredService<ManagementPort>().Enforce(app);
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGrpcHealthChecksService().AllowAnonymous();
        if (app.Services.GetRequiredService<IOptions<GrpcHostOptions>>().Value.EnableReflection)
        {
            app.MapGrpcReflectionService().AllowAnonymous();
        }
        // Liveness: the process answers. Readiness: its dependencies answer too.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous().AlsoOnManagementPort();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(HealthTags.Ready) }).AllowAnonymous().AlsoOnManagementPort();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CollectorRegistry>()).AllowAnonymous().OnManagementPortOnly();
        return app;
    }
}
