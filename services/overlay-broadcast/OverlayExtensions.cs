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
        builder.Services.AddSingleton<RoomStore>();
        builder.Services.AddSingleton<RoomCatalog>();
        builder.Services.AddSingleton<ViewerTokens>();
        builder.Services.AddSingleton<StockBook>();
        builder.Services.AddSingleton<FeedHealth>();
        builder.Services.AddSingleton<RoomComposer>();
        builder.Services.AddSingleton<RoomHub>();
        builder.Services.AddSingleton<RoomViewers>();

        builder.Services.AddHostedService<RoomSync>();
        builder.Services.AddHostedService<LedgerFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RoomHub>());
        return builder;
    }
}
