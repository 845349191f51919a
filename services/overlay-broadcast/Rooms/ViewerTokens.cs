using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Per-room viewer tokens: 32 random bytes (base64url), of which Redis keeps only the SHA-256, so a
/// copy of Redis shows no usable token. Read-only by construction: they open a room's stream, nothing else.
/// </summary>
public sealed class ViewerTokens(RoomStore store)
{
    public sealed record Issued(string TokenId, string Token);

    public async Task<Issued> IssueAsync(string roomId)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var hash = Hash(token);
        var issued = new Issued(hash[..16], token);
        await store.AddTokenAsync(roomId, hash, issued.TokenId);
        return issued;
    }

    public Task<bool> RevokeAsync(string roomId, string tokenId) => store.RevokeTokenAsync(roomId, tokenId);

    public Task<bool> IsValidAsync(string roomId, string token)
        => token.Length is 0 or > 100 ? Task.FromResult(false) : store.HasTokenAsync(roomId, Hash(token));

    /// <summary>Why a viewer is refused: 401 without a token, 403 with a wrong or revoked one; null when allowed.</summary>
    public async Task<int?> RefusalAsync(string roomId, string? token)
        => string.IsNullOrEmpty(token) ? StatusCodes.Status401Unauthorized
            : await IsValidAsync(roomId, token) ? null
            : StatusCodes.Status403Forbidden;

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
