using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Per-room page tokens: 32 random bytes (base64url), of which Redis keeps only the SHA-256, so a
/// copy of Redis shows no usable token. A viewer token opens the room's overlay and stream, nothing
/// else; an operator token also opens the board and may set the spotlight from it.
/// A token found valid is trusted for Overlay:TokenCacheSeconds before Redis is asked again, so
/// heartbeats cost no Redis call and a Redis outage ends no open stream: while Redis cannot be asked,
/// the last answer stands. A token never seen valid cannot be checked then: Redis' failure propagates
/// (503 with Retry-After). Wrong tokens are not cached, so guessing fills no memory.
/// </summary>
public sealed class ViewerTokens(RoomStore store, IOptions<OverlayOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string RoomId, string Hash), Checked> _valid = new();

    public sealed record Issued(string TokenId, string Token, TokenScope Scope);

    private sealed record Checked(TokenScope Scope, long At);

    public async Task<Issued> IssueAsync(string roomId, TokenScope scope)
    {
        scope = scope == TokenScope.Operator ? TokenScope.Operator : TokenScope.Viewer;
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var hash = Hash(token);
        var issued = new Issued(hash[..16], token, scope);
        await store.AddTokenAsync(roomId, hash, issued.TokenId, scope);
        return issued;
    }

    /// <summary>Revokes the token everywhere; this replica forgets it at once, the others within the cache time.</summary>
    public async Task<bool> RevokeAsync(string roomId, string tokenId)
    {
        var revoked = await store.RevokeTokenAsync(roomId, tokenId);
        Drop(k => k.RoomId == roomId && k.Hash.StartsWith(tokenId, StringComparison.Ordinal));
        return revoked;
    }

    /// <summary>A deleted room's tokens are gone: none of them opens a room made again under its id.</summary>
    public void Forget(string roomId) => Drop(k => k.RoomId == roomId);

    /// <summary>Whether the token (still) opens what <paramref name="needed"/> allows; operator tokens open viewer pages too.</summary>
    public async Task<bool> IsValidAsync(string roomId, string token, TokenScope needed = TokenScope.Viewer)
        => token.Length is > 0 and <= 100
           && await ScopeAsync(roomId, Hash(token)) is { } scope
           && (needed != TokenScope.Operator || scope == TokenScope.Operator);

    /// <summary>Why a request is refused: 401 without a token, 403 with a wrong, revoked or too narrow one; null when allowed.</summary>
    public async Task<int?> RefusalAsync(string roomId, string? token, TokenScope needed = TokenScope.Viewer)
        => string.IsNullOrEmpty(token) ? StatusCodes.Status401Unauthorized
            : await IsValidAsync(roomId, token, needed) ? null
            : StatusCodes.Status403Forbidden;

    private async Task<TokenScope?> ScopeAsync(string roomId, string hash)
    {
        var key = (roomId, hash);
        var known = _valid.GetValueOrDefault(key);
        if (known is not null && clock.GetElapsedTime(known.At) < TimeSpan.FromSeconds(options.Value.TokenCacheSeconds))
        {
            return known.Scope;
        }
        TokenScope? scope;
        try
        {
            scope = await store.TokenScopeAsync(roomId, hash);
        }
        catch (Exception ex) when (known is not null && RedisFaults.IsTransient(ex))
        {
            return known.Scope;
        }
        if (scope is { } found)
        {
            _valid[key] = new Checked(found, clock.GetTimestamp());
        }
        else
        {
            _valid.TryRemove(key, out _);
        }
        return scope;
    }

    private void Drop(Func<(string RoomId, string Hash), bool> which)
    {
        foreach (var key in _valid.Keys.Where(which))
        {
            _valid.TryRemove(key, out _);
        }
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
