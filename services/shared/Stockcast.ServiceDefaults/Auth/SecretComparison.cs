using System.Security.Cryptography;
using System.Text;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>
/// The one way a presented credential is compared with a configured one: SHA-256 digests compared in
/// fixed time, so neither the content nor the length of the secret leaks through timing.
/// </summary>
public static class SecretComparison
{
    public const int DigestBytes = SHA256.HashSizeInBytes;

    // Longer secrets are hashed from a heap copy; every key and token the services take fits the stack.
    private const int StackBytes = 512;

    public static bool Same(string presented, string expected)
    {
        if (expected.Length == 0)
        {
            return false;
        }
        Span<byte> ours = stackalloc byte[DigestBytes];
        Span<byte> theirs = stackalloc byte[DigestBytes];
        Digest(presented, ours);
        Digest(expected, theirs);
        return Same(ours, theirs);
    }

    /// <summary>Digests compared in fixed time: a configured secret's digest is taken once and kept (<see cref="ApiKeyDirectory"/>).</summary>
    public static bool Same(ReadOnlySpan<byte> presentedDigest, ReadOnlySpan<byte> expectedDigest)
        => CryptographicOperations.FixedTimeEquals(presentedDigest, expectedDigest);

    public static byte[] Digest(string secret)
    {
        var digest = new byte[DigestBytes];
        Digest(secret, digest);
        return digest;
    }

    /// <summary>The secret's SHA-256 into <paramref name="digest"/>, without allocating for secrets up to a few hundred bytes.</summary>
    public static void Digest(ReadOnlySpan<char> secret, Span<byte> digest)
    {
        var length = Encoding.UTF8.GetMaxByteCount(secret.Length);
        if (length <= StackBytes)
        {
            Span<byte> utf8 = stackalloc byte[StackBytes];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(secret, utf8)], digest);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(secret.ToArray()), digest);
        }
    }
}
