using Microsoft.Extensions.Options;
using Stockcast.Ledger.Reservations;
using Stockcast.Ledger.Reads;
using Stockcast.Ledger.Store;
using Stockcast.Ledger.Watch;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Ledger;

public static class LedgerExtensions
{
    public static IHostApplicationBuilder AddStockLedger(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddValidatedOptions<LedgerOptions>(builder.Configuration, LedgerOptions.Section);
        builder.Services.AddSingleton<LedgerMetrics>();
        builder.Services.AddSingleton<StockStore>();
        builder.Services.AddSingleton<ChangeFeed>();
        builder.Services.AddSingleton<WatchStreams>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
        builder.Services.AddSingleton<AvailabilityView>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AvailabilityView>());
        builder.Services.AddHostedService<HoldExpirySweeper>();
        builder.Services.AddHostedService<WarehouseBootstrap>();
        return builder;
    }
}
