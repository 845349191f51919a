using System.Security.Cryptography;
using System.Text;

namespace Stockcast.Connector.Webhooks;

/// <summary>ShipHero and Shopify both sign base64(HMAC-SHA256(raw body, shared secret)); compared in fixed time.</summary>
public static class WebhookSignature
{
    public static bool Matches(byte[] body, string presented, string secret)
    {
        if (presented.Length == 0)
        {
            return false;
        }
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented.Trim()));
    }

    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
