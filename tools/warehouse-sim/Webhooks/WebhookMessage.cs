using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Webhooks;

/// <summary>One webhook call ready to send: the exact bytes that were signed and the headers; <paramref name="Subject"/> is the SKU (or item) it is about.</summary>
public sealed record WebhookMessage(ApiKind Api, string Warehouse, string Type, string Subject, Uri Target, byte[] Body, IReadOnlyDictionary<string, string> Headers);

public sealed record WebhookDelivery(string Warehouse, string Type, string Target, int? Status, string? Error, DateTimeOffset At);
