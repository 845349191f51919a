using Microsoft.Extensions.Options;
using Stockcast.LedgerClient;
using Stockcast.Overlay.Board;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Feed;
using Stockcast.Overlay.Rooms;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Overlay;

public static class OverlayExtensions
{
    public static IHostApplicationBuilder AddOverlay(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddValidatedOptions<OverlayOptions>(builder.Configuration, OverlayOptions.Section);
        builder.Services.AddSingleton<OverlayMetrics>();
        builder.Services.AddSingleton<RoomStore>();
        builder.Services.AddSingleton<RoomCatalog>();
        builder.Services.AddSingleton<ViewerTokens>();
        builder.Services.AddSingleton<SpotlightControl>();
        builder.Services.AddSingleton<SalesPace>();
        builder.Services.AddLedgerClient(LedgerMirrors.Local, sp => sp.GetRequiredService<IOptions<OverlayOptions>>().Value.Ledger());
        builder.Services.AddSingleton(sp => sp.GetRequiredService<LedgerMirrors>().Mirror(LedgerMirrors.Local));
        builder.Services.AddSingleton<LedgerFeed>();
        builder.Services.AddSingleton<FeedConfirmations>();
        builder.Services.AddSingleton<FeedHealth>();
        builder.Services.AddSingleton<RoomComposer>();
        builder.Services.AddSingleton<RoomHub>();
        builder.Services.AddSingleton<StartStock>();
        builder.Services.AddSingleton<AlertFeed>();
        builder.Services.AddSingleton<BoardComposer>();
        builder.Services.AddSingleton<BoardStream>();
        builder.Services.AddSingleton<RoomViewers>();

        builder.Services.AddHostedService<RoomSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LedgerFeed>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RoomHub>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedConfirmations>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertFeed>());
        return builder;
    }
}
