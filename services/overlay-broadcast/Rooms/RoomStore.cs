using Google.Protobuf;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Rooms, spotlights and viewer-token hashes in Redis, all under "{namespace}:ov:" so every replica
/// serves every room. Each value is one protobuf message written whole, so a room is never half-applied.
/// A value that does not parse (an older release, a hand edit) is skipped, counted and logged with its
/// room id (<see cref="MalformedEntries"/>): one bad entry never takes the other rooms down with it.
/// </summary>
public sealed class RoomStore(IConnectionMultiplexer redis, IOptions<RedisOptions> options, MalformedEntries malformed)
{
    private readonly string _prefix = options.Value.KeyPrefix + "ov:";

    private IDatabase Db => redis.GetDatabase();
    private RedisKey Rooms => _prefix + "rooms";
    private RedisKey Spotlights => _prefix + "spotlight";
    private RedisKey Tokens(string roomId) => _prefix + "tokens:" + roomId;
    private RedisKey StartStock(string roomId) => _prefix + "start:" + roomId;

    public Task PutRoomAsync(Room room) => Db.HashSetAsync(Rooms, room.Id, room.ToByteArray());

    public async Task<Room?> GetRoomAsync(string roomId)
    {
        var value = await Db.HashGetAsync(Rooms, roomId);
        return value.IsNull ? null : Room.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>
    /// Mutes or unmutes one cue type of a stored room: the room is read and written back only if nobody
    /// replaced it meanwhile (else read again), so an UpsertRoom racing with a mute is never half-applied.
    /// Null when there is no such room.
    /// </summary>
    public async Task<Room?> SetCueMutedAsync(string roomId, CueType type, bool muted)
    {
        while (true)
        {
            var stored = await Db.HashGetAsync(Rooms, roomId);
            if (stored.IsNull)
            {
                return null;
            }
            var room = Room.Parser.ParseFrom((byte[])stored!);
            var types = room.MutedCues.Where(t => t != type).Concat(muted ? [type] : []).Order().ToList();
            room.MutedCues.Clear();
            room.MutedCues.Add(types);
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.HashEqual(Rooms, roomId, stored));
            _ = transaction.HashSetAsync(Rooms, roomId, room.ToByteArray());
            if (await transaction.ExecuteAsync())
            {
                return room;
            }
        }
    }

    public async Task<IReadOnlyDictionary<string, Room>> RoomsAsync()
        => malformed.Readable("rooms", await Db.HashGetAllAsync(Rooms), Room.Parser);

    public async Task<IReadOnlyDictionary<string, SpotlightCard>> SpotlightsAsync()
        => malformed.Readable("spotlights", await Db.HashGetAllAsync(Spotlights), SpotlightCard.Parser);

    public Task SetSpotlightAsync(string roomId, SpotlightCard? card)
        => card is null ? Db.HashDeleteAsync(Spotlights, roomId) : Db.HashSetAsync(Spotlights, roomId, card.ToByteArray());

    /// <summary>
    /// The SKU's ATP when the room went live: the first figure recorded wins, whichever replica
    /// records it, and a restart keeps it. Returns the figure kept.
    /// </summary>
    public async Task<long> RecordStartStockAsync(string roomId, string sku, long availableToPromise)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(StartStock(roomId), sku, availableToPromise, When.NotExists);
        var kept = transaction.HashGetAsync(StartStock(roomId), sku);
        await transaction.ExecuteAsync();
        return (long)await kept;
    }

    /// <summary>The room with its spotlight, tokens and start stock, in one transaction.</summary>
    public async Task<bool> DeleteRoomAsync(string roomId)
    {
        var transaction = Db.CreateTransaction();
        var deleted = transaction.HashDeleteAsync(Rooms, roomId);
        _ = transaction.HashDeleteAsync(Spotlights, roomId);
        _ = transaction.KeyDeleteAsync(Tokens(roomId));
        _ = transaction.KeyDeleteAsync(StartStock(roomId));
        await transaction.ExecuteAsync();
        return await deleted;
    }

    /// <summary>Stores the token's hash with "{tokenId} {scope}".</summary>
    public Task AddTokenAsync(string roomId, string tokenHash, string tokenId, TokenScope scope)
        => Db.HashSetAsync(Tokens(roomId), tokenHash, $"{tokenId} {(int)scope}");

    /// <summary>The scope of the token with this hash; null when the room has no such token.</summary>
    public async Task<TokenScope?> TokenScopeAsync(string roomId, string tokenHash)
    {
        var value = (string?)await Db.HashGetAsync(Tokens(roomId), tokenHash);
        return value is null ? null
            : int.TryParse(value.AsSpan(value.IndexOf(' ') + 1), out var scope) ? (TokenScope)scope
            : TokenScope.Viewer;
    }

    public async Task<bool> RevokeTokenAsync(string roomId, string tokenId)
    {
        // A handful of tokens per room: finding the one by id is a short scan.
        var entry = (await Db.HashGetAllAsync(Tokens(roomId))).FirstOrDefault(e => ((string?)e.Value)?.Split(' ')[0] == tokenId);
        return !entry.Name.IsNull && await Db.HashDeleteAsync(Tokens(roomId), entry.Name);
    }
}
