using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Webhooks;

/// <summary>
/// Posts webhooks to receivers and remembers how each delivery went. In messy mode a delivery may be
/// sent twice, or be followed by the previous message about the same SKU (a late retry).
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, Mess mess, TimeProvider clock, ILogger<WebhookSender> log)
{
    private const int KeptDeliveries = 1000;
    private readonly ConcurrentQueue<WebhookDelivery> _deliveries = new();
    private readonly ConcurrentDictionary<(string Warehouse, string Type, string Subject), WebhookMessage> _previous = new();

    public IReadOnlyList<WebhookDelivery> Deliveries => [.. _deliveries];

    public IEnumerable<WebhookMessage> MessagesFor(StockChange change) => change.Warehouse.Kind switch
    {
        ApiKind.ShipHero => ShipHeroPayloads.For(change, mess),
        ApiKind.Shopify => [ShopifyPayloads.For(change, mess)],
        _ => [],
    };

    /// <summary>Sends in order, one at a time, as the real senders deliver a warehouse's changes.</summary>
    public async Task<int> SendAsync(IEnumerable<WebhookMessage> messages, CancellationToken cancel)
    {
        var sent = 0;
        var http = clients.CreateClient(nameof(WebhookSender));
        foreach (var message in messages)
        {
            var key = (message.Warehouse, message.Type, message.Subject);
            var older = _previous.GetValueOrDefault(key);
            _previous[key] = message;
            sent += await PostAsync(http, message, cancel) ? 1 : 0;
            switch (mess.Deliver(message.Api, hasOlder: older is not null))
            {
                case Quirk.DuplicateDelivery:
                    await PostAsync(http, message, cancel);
                    break;
                case Quirk.OlderRedelivered:
                    await PostAsync(http, older!, cancel);
                    break;
            }
        }
        return sent;
    }

    public void Clear()
    {
        _deliveries.Clear();
        _previous.Clear();
    }

    /// <summary>One delivery, recorded; false when the receiver could not be reached.</summary>
    private async Task<bool> PostAsync(HttpClient http, WebhookMessage message, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, message.Target) { Content = new ByteArrayContent(message.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in message.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using var response = await http.SendAsync(request, cancel);
            Record(new WebhookDelivery(message.Warehouse, message.Type, message.Target.ToString(), (int)response.StatusCode, null, clock.GetUtcNow()));
            return true;
        }
        catch (HttpRequestException e)
        {
            // A receiver that is not up yet is normal in `make run`; keep going.
            log.LogDebug("Webhook {Type} to {Target} failed: {Error}", message.Type, message.Target, e.Message);
            Record(new WebhookDelivery(message.Warehouse, message.Type, message.Target.ToString(), null, e.Message, clock.GetUtcNow()));
            return false;
        }
    }

    private void Record(WebhookDelivery delivery)
    {
        _deliveries.Enqueue(delivery);
        while (_deliveries.Count > KeptDeliveries && _deliveries.TryDequeue(out _))
        {
        }
    }
}
