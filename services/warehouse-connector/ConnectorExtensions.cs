using Microsoft.Extensions.Options;
using Stockcast.Connector.DeadLetters;
using Stockcast.Connector.Delivery;
using Stockcast.Connector.Events;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.Feeds.AmazonFba;
using Stockcast.Connector.Feeds.Ck1;
using Stockcast.Connector.Feeds.FileDrop;
using Stockcast.Connector.Feeds.Replicas;
using Stockcast.Connector.Feeds.ShipBob;
using Stockcast.Connector.Health;
using Stockcast.Connector.Webhooks;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Limits;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Connector;

public static class ConnectorExtensions
{
    public static IHostApplicationBuilder AddWarehouseConnector(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.AddPublicLimits();
        builder.Services.AddValidatedOptions<ConnectorOptions>(builder.Configuration, ConnectorOptions.Section);
        // The ledger's own rules with its default limits; the clamp to MaxClockSkewSeconds keeps source times within them.
        builder.Services.AddSingleton(sp => new StockEventRules(sp.GetRequiredService<TimeProvider>(), maxClockSkewSeconds: sp.GetRequiredService<IOptions<ConnectorOptions>>().Value.MaxClockSkewSeconds));
        builder.Services.AddSingleton<CanonicalRecords>();
        builder.Services.AddSingleton<ShipBobRecords>();
        builder.Services.AddSingleton<AmazonFbaRecords>();
        builder.Services.AddSingleton<Ck1Records>();
        builder.Services.AddSingleton<ShopifyRecords>();
        builder.Services.AddSingleton<IRecordReader>(sp => sp.GetRequiredService<CanonicalRecords>());
        builder.Services.AddSingleton<IRecordReader>(sp => sp.GetRequiredService<ShipBobRecords>());
        builder.Services.AddSingleton<IRecordReader>(sp => sp.GetRequiredService<AmazonFbaRecords>());
        builder.Services.AddSingleton<IRecordReader>(sp => sp.GetRequiredService<Ck1Records>());
        builder.Services.AddSingleton<IRecordReader>(sp => sp.GetRequiredService<ShopifyRecords>());
        builder.Services.AddSingleton<RecordReaders>();
        builder.Services.AddSingleton<ConnectorMetrics>();
        builder.Services.AddLedgerClient(LedgerMirrors.Local, sp => sp.GetRequiredService<IOptions<ConnectorOptions>>().Value.Ledger());
        builder.Services.AddSingleton<LedgerSink>();
        builder.Services.AddSingleton<DeadLetterStore>();
        builder.Services.AddSingleton<DeadLetterReplay>();
        builder.Services.AddSingleton<FeedEventStore>();
        builder.Services.AddSingleton<FeedStatusStore>();
        builder.Services.AddSingleton<Reconciliation>();
        builder.Services.AddSingleton<FeedIntake>();
        builder.Services.AddSingleton<WebhookReceipts>();
        builder.Services.AddHttpClient(WarehouseApiClient.Name, c =>
        {
            c.Timeout = TimeSpan.FromSeconds(30);
            // Names the integration and the replica, for the vendor's logs (and the simulator's reader count).
            c.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", $"stockcast-warehouse-connector (replica {Environment.MachineName}/{Environment.ProcessId})");
        });
        builder.Services.AddSingleton<IPolledFeed, ShipBobFeed>();
        builder.Services.AddSingleton<IPolledFeed, AmazonFbaFeed>();
        builder.Services.AddSingleton<IPolledFeed, Ck1Feed>();
        builder.Services.AddSingleton<IPolledFeed, FileDropFeed>();
        builder.Services.AddSingleton<FeedCursorStore>();
        builder.Services.AddSingleton<VendorQuotas>();
        builder.Services.AddSingleton<FeedLeases>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedLeases>());
        builder.Services.AddSingleton<FeedPoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedPoller>());
        builder.Services.AddHostedService<FeedHealthMonitor>();
        builder.Services.AddHealthChecks().AddCheck<FeedHealthCheck>(FeedHealthCheck.Name, tags: [FeedHealthCheck.Tag]);
        return builder;
    }
}
