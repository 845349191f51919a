using System.Security.Cryptography;
using System.Text;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Webhooks;

/// <summary>ShipHero and Shopify both sign base64(HMAC-SHA256(raw body, shared secret)).</summary>
public static class Signer
{
    public static string Sign(byte[] body, string secret) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>The header value to send, or null to send none.</summary>
    public static string? For(WebhookSpec spec, byte[] body) => spec.Signing switch
    {
        Signing.Unsigned => null,
        Signing.WrongSecret => Sign(body, spec.Secret + "-not-the-shared-secret"),
        _ => Sign(body, spec.Secret),
    };
}
