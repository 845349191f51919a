using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Per-room page tokens: 32 random bytes (base64url), of which Redis keeps only the SHA-256, so a
/// copy of Redis shows no usable token. A viewer token opens the room's overlay and stream, nothing
/// else; an operator token also opens the board and may set the spotlight from it.
/// </summary>
public sealed class ViewerTokens(RoomStore store)
{
    public sealed record Issued(string TokenId, string Token, TokenScope Scope);

    public async Task<Issued> IssueAsync(string roomId, TokenScope scope)
    {
        scope = scope == TokenScope.Operator ? TokenScope.Operator : TokenScope.Viewer;
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var hash = Hash(token);
        var issued = new Issued(hash[..16], token, scope);
        await store.AddTokenAsync(roomId, hash, issued.TokenId, scope);
        return issued;
    }

    public Task<bool> RevokeAsync(string roomId, string tokenId) => store.RevokeTokenAsync(roomId, tokenId);

    /// <summary>Whether the token (still) opens what <paramref name="needed"/> allows; operator tokens open viewer pages too.</summary>
    public async Task<bool> IsValidAsync(string roomId, string token, TokenScope needed = TokenScope.Viewer)
        => token.Length is > 0 and <= 100
           && await store.TokenScopeAsync(roomId, Hash(token)) is { } scope
           && (needed != TokenScope.Operator || scope == TokenScope.Operator);

    /// <summary>Why a request is refused: 401 without a token, 403 with a wrong, revoked or too narrow one; null when allowed.</summary>
    public async Task<int?> RefusalAsync(string roomId, string? token, TokenScope needed = TokenScope.Viewer)
        => string.IsNullOrEmpty(token) ? StatusCodes.Status401Unauthorized
            : await IsValidAsync(roomId, token, needed) ? null
            : StatusCodes.Status403Forbidden;

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
