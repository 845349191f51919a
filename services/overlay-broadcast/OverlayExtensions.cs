using Microsoft.Extensions.Options;
using Stockcast.LedgerClient;
using Stockcast.Overlay.Board;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Cues;
using Stockcast.Overlay.Feed;
using Stockcast.Overlay.Rooms;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Clients;
using Stockcast.ServiceDefaults.Limits;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Overlay;

public static class OverlayExtensions
{
    /// <summary>The warehouse-connector's client (feed status), when Overlay:ConnectorAddress is set.</summary>
    public const string ConnectorClient = "warehouse-connector";

    /// <summary>The alerting service's client (the board's alerts), when Overlay:AlertingAddress is set.</summary>
    public const string AlertingClient = "alerting";

    public static IHostApplicationBuilder AddOverlay(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.AddPublicLimits();
        builder.Services.AddValidatedOptions<OverlayOptions>(builder.Configuration, OverlayOptions.Section);
        builder.Services.AddSingleton<OverlayMetrics>();
        builder.Services.AddSingleton<RoomStore>();
        builder.Services.AddSingleton<RoomCatalog>();
        builder.Services.AddSingleton<ViewerTokens>();
        builder.Services.AddSingleton<SpotlightControl>();
        builder.Services.AddSingleton<SalesPace>();
        static OverlayOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<OverlayOptions>>().Value;
        builder.Services.AddLedgerClient(LedgerMirrors.Local, sp => Options(sp).Ledger());
        builder.Services.AddServiceClient<Connector.V1.WarehouseConnector.WarehouseConnectorClient>(ConnectorClient, sp => Options(sp).Connector());
        builder.Services.AddServiceClient<Alerting.V1.Alerting.AlertingClient>(AlertingClient, sp => Options(sp).Alerting());
        builder.Services.AddSingleton(sp => sp.GetRequiredService<LedgerMirrors>().Mirror(LedgerMirrors.Local));
        builder.Services.AddSingleton<LedgerFeed>();
        builder.Services.AddSingleton<FeedConfirmations>();
        builder.Services.AddSingleton<FeedHealth>();
        builder.Services.AddSingleton<RoomComposer>();
        builder.Services.AddSingleton<RoomHub>();
        builder.Services.AddSingleton<StartStock>();
        builder.Services.AddSingleton<AlertFeed>();
        builder.Services.AddSingleton<BoardComposer>();
        builder.Services.AddSingleton<CueDesk>();
        builder.Services.AddSingleton<CueStream>();
        builder.Services.AddSingleton<StockHistory>();
        builder.Services.AddSingleton<IRoomObserver>(sp => sp.GetRequiredService<CueDesk>());
        builder.Services.AddSingleton<IRoomObserver>(sp => sp.GetRequiredService<StockHistory>());
        builder.Services.AddSingleton<BoardStream>();
        builder.Services.AddSingleton<RoomViewers>();
        builder.Services.AddSingleton<ViewerTicks>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ViewerTicks>());
        builder.Services.AddSingleton<ViewerSlots>();

        builder.Services.AddHostedService<RoomSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LedgerFeed>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RoomHub>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedConfirmations>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertFeed>());
        return builder;
    }
}
