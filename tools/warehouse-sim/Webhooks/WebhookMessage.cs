namespace Stockcast.WarehouseSim.Webhooks;

/// <summary>One webhook call ready to send: the exact bytes that were signed and the headers.</summary>
public sealed record WebhookMessage(string Warehouse, string Type, Uri Target, byte[] Body, IReadOnlyDictionary<string, string> Headers);

public sealed record WebhookDelivery(string Warehouse, string Type, string Target, int? Status, string? Error, DateTimeOffset At);
