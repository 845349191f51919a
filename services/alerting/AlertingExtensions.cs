using Stockcast.Alerting.Anomalies;
using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.Delivery;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.Signals;
using Stockcast.Alerting.Stock;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Alerting;

public static class AlertingExtensions
{
    public static IHostApplicationBuilder AddAlerting(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddValidatedOptions<AlertingOptions>(builder.Configuration, AlertingOptions.Section);
        builder.Services.AddSingleton<AlertingMetrics>();
        builder.Services.AddSingleton<StockView>();
        builder.Services.AddSingleton<PeerStock>();
        builder.Services.AddSingleton<DemandMeter>();
        builder.Services.AddSingleton<DirtySkus>();
        builder.Services.AddSingleton<CatalogStore>();
        builder.Services.AddSingleton<SignalStore>();
        builder.Services.AddSingleton<NotificationLog>();
        builder.Services.AddSingleton<LeaderLease>();
        builder.Services.AddSingleton<AlertBook>();
        builder.Services.AddSingleton<AlertEngine>();
        builder.Services.AddSingleton<Preflight>();

        builder.Services.AddHealthChecks().AddCheck<StockViewHealthCheck>("stock-view", tags: [HealthTags.Ready]);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderLease>());
        builder.Services.AddHostedService<CatalogSync>();
        builder.Services.AddHostedService<LocalLedger>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PeerStock>());
        builder.Services.AddHostedService<SignalFollower>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertEngine>());
        builder.Services.AddHostedService<ConnectorFollower>();
        builder.AddWebhookSinks();
        builder.Services.AddHostedService<SinkPump>();
        builder.AddDaprDelivery();
        return builder;
    }

    /// <summary>With Alerting:Dapr:PubSubName set: the sidecar client and the Dapr sink (the subscription is mapped by MapSignalSubscription).</summary>
    private static void AddDaprDelivery(this IHostApplicationBuilder builder)
    {
        var dapr = builder.Configuration.GetSection(AlertingOptions.Section + ":" + nameof(AlertingOptions.Dapr)).Get<DaprOptions>() ?? new DaprOptions();
        if (!dapr.Enabled)
        {
            return;
        }
        // The client reads DAPR_API_TOKEN (and DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT when no endpoint is set) itself.
        builder.Services.AddDaprClient(client =>
        {
            if (dapr.GrpcEndpoint.Length > 0)
            {
                client.UseGrpcEndpoint(dapr.GrpcEndpoint);
            }
        });
        builder.Services.AddSingleton<IAlertSink, DaprSink>();
    }
}
