using Stockcast.WarehouseSim.Model;
using Stockcast.WarehouseSim.Webhooks;

namespace Stockcast.WarehouseSim;

/// <summary>Moves scenario time: ticks the stock model second by second and delivers the webhooks each tick makes due.</summary>
public sealed class Simulator(StockModel model, WebhookSender webhooks)
{
    private readonly SemaphoreSlim _advancing = new(1, 1);

    public sealed record Advanced(DateTimeOffset Now, int Changes, int WebhooksSent);

    public async Task<Advanced> AdvanceAsync(int seconds, CancellationToken cancel)
    {
        await _advancing.WaitAsync(cancel);
        try
        {
            var changes = 0;
            var sent = 0;
            for (var i = 0; i < seconds; i++)
            {
                var tick = model.Tick();
                changes += tick.Count;
                sent += await webhooks.SendAsync(tick.SelectMany(webhooks.MessagesFor), cancel);
            }
            return new Advanced(model.State().Now, changes, sent);
        }
        finally
        {
            _advancing.Release();
        }
    }

    public async Task<StockChange?> AdjustAsync(string warehouse, string sku, long? location, int delta, string reason, CancellationToken cancel)
    {
        await _advancing.WaitAsync(cancel);
        try
        {
            var change = model.Adjust(warehouse, sku, location, delta, reason);
            if (change is not null)
            {
                await webhooks.SendAsync(webhooks.MessagesFor(change), cancel);
            }
            return change;
        }
        finally
        {
            _advancing.Release();
        }
    }
}
