using Google.Protobuf.WellKnownTypes;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Puts a featured SKU's card on screen (or clears it): one path for the gRPC Spotlight call and the
/// operator board's control. Refusals are domain exceptions, which each edge answers in its own way.
/// </summary>
public sealed class SpotlightControl(RoomStore store, RoomCatalog catalog, TimeProvider clock)
{
    public const int MaxQueryLength = 500;

    public async Task<SpotlightResponse> SetAsync(string roomId, string query)
    {
        Identifiers.RoomId.Check(roomId, "room_id");
        var room = await store.GetRoomAsync(roomId) ?? throw new NotFoundException($"no room '{roomId}'");
        if (string.IsNullOrWhiteSpace(query))
        {
            await store.SetSpotlightAsync(room.Id, null);
            await catalog.RefreshAsync();
            return new SpotlightResponse();
        }
        if (query.Length > MaxQueryLength)
        {
            throw new InvalidFieldException("query", $"at most {MaxQueryLength} characters");
        }
        var featured = SpotlightMatch.Find(room, query)
            ?? throw new NotFoundException($"no featured SKU of room '{room.Id}' matches '{query}'");
        var name = featured.DisplayName.Length > 0 ? featured.DisplayName : featured.Sku;
        await store.SetSpotlightAsync(room.Id, new SpotlightCard
        {
            Query = query,
            ShownAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
            Stock = new SkuStock { Sku = featured.Sku, Name = name },
        });
        await catalog.RefreshAsync();
        return new SpotlightResponse { Sku = featured.Sku, Name = name };
    }
}
