using System.Security.Cryptography;
using System.Text;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>
/// The one way a presented credential is compared with a configured one: SHA-256 digests compared in
/// fixed time, so neither the content nor the length of the secret leaks through timing.
/// </summary>
public static class SecretComparison
{
    public static bool Same(string presented, string expected)
        => expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Digest(presented), Digest(expected));

    private static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
