using Microsoft.Extensions.Options;
using Stockcast.Alerting.Anomalies;
using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.Delivery;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.Signals;
using Stockcast.Alerting.Stock;
using Stockcast.LedgerClient;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Clients;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Alerting;

public static class AlertingExtensions
{
    /// <summary>The warehouse-connector's client (its feed events), when Alerting:ConnectorAddress is set.</summary>
    public const string ConnectorClient = "warehouse-connector";

    public static IHostApplicationBuilder AddAlerting(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddValidatedOptions<AlertingOptions>(builder.Configuration, AlertingOptions.Section);
        builder.Services.AddSingleton<AlertingMetrics>();
        builder.AddLedgers();
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

        builder.Services.AddHealthChecks()
            .AddLedgerReadiness(LedgerMirrors.Local)
            .AddCheck<CatalogHealthCheck>("catalog", tags: [HealthTags.Ready]);
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

    /// <summary>The ledger clients: this region's ("local") and one per peer region (Alerting:PeerLedgers, named by region).</summary>
    private static void AddLedgers(this IHostApplicationBuilder builder)
    {
        static AlertingOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<AlertingOptions>>().Value;
        builder.Services.AddLedgerClient(LedgerMirrors.Local, sp => Options(sp).Ledger());
        builder.Services.AddServiceClient<WarehouseConnector.WarehouseConnectorClient>(ConnectorClient, sp => Options(sp).Connector());
        // Only the names here: the options are bound and validated (naming a bad key) when the host starts.
        var peers = builder.Configuration.GetSection(AlertingOptions.Section + ":" + nameof(AlertingOptions.PeerLedgers)).GetChildren();
        foreach (var region in peers.Select(p => p[nameof(PeerLedgerOptions.Region)] ?? "").Distinct())
        {
            builder.Services.AddLedgerClient(region, sp => Options(sp).PeerLedgers.Single(p => p.Region == region).Ledger());
        }
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
        builder.AddDaprAppToken(dapr.AppApiToken);
    }
}
