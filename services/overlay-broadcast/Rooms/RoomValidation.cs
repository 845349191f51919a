using System.Text.RegularExpressions;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Grpc;

namespace Stockcast.Overlay.Rooms;

/// <summary>Room checks (INVALID_ARGUMENT naming the field) and the defaults filled in before storing.</summary>
public static partial class RoomValidation
{
    public const int DefaultStaleAfterSeconds = 10;
    public const int DefaultMaxUpdatesPerSecond = 10;
    private const int MaxFeatured = 100;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex RoomIdPattern();

    [GeneratedRegex("^[A-Z0-9-]{1,16}$")]
    private static partial Regex MarketPattern();

    public static void RoomId(string roomId, string field = "room_id")
    {
        if (!RoomIdPattern().IsMatch(roomId))
        {
            throw RpcErrors.InvalidArgument(field, "required, 1-64 of A-Z a-z 0-9 _ -");
        }
    }

    /// <summary>The room as it will be stored: validated whole, defaults filled in.</summary>
    public static Room Normalised(Room request)
    {
        RoomId(request.Id, "id");
        if (request.Title.Length > 200)
        {
            throw RpcErrors.InvalidArgument("title", "at most 200 characters");
        }
        for (var i = 0; i < request.Platforms.Count; i++)
        {
            if (request.Platforms[i] == Platform.Unspecified || !Enum.IsDefined(request.Platforms[i]))
            {
                throw RpcErrors.InvalidArgument($"platforms[{i}]", "must be a known platform");
            }
        }
        if (!MarketPattern().IsMatch(request.Market))
        {
            throw RpcErrors.InvalidArgument("market", "required, upper case, e.g. \"US\"");
        }
        if (request.Featured.Count is 0 or > MaxFeatured)
        {
            throw RpcErrors.InvalidArgument("featured", $"1 to {MaxFeatured} featured SKUs");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Featured.Count; i++)
        {
            Featured(request.Featured[i], $"featured[{i}]", seen);
        }
        var language = request.Display?.Language ?? "";
        if (language is not ("" or "en" or "zh"))
        {
            throw RpcErrors.InvalidArgument("display.language", "\"en\" or \"zh\"");
        }
        if (request.StartsAt is null)
        {
            throw RpcErrors.InvalidArgument("starts_at", "required");
        }
        if (request.EndsAt is null || request.EndsAt.ToDateTimeOffset() <= request.StartsAt.ToDateTimeOffset())
        {
            throw RpcErrors.InvalidArgument("ends_at", "required, after starts_at");
        }
        if (request.StaleAfterSeconds is < 0 or > 3600)
        {
            throw RpcErrors.InvalidArgument("stale_after_seconds", "0 (default 10) to 3600");
        }
        if (request.MaxUpdatesPerSecond is < 0 or > 30)
        {
            throw RpcErrors.InvalidArgument("max_updates_per_second", "0 (default 10) to 30");
        }

        var room = request.Clone();
        // A room sent without display options gets them all; sent with some, it gets what it says.
        room.Display ??= new DisplayOptions { CountDown = true, HeatMap = true, SoldOutCard = true };
        room.Display.Language = language.Length == 0 ? "en" : language;
        room.StaleAfterSeconds = room.StaleAfterSeconds == 0 ? DefaultStaleAfterSeconds : room.StaleAfterSeconds;
        room.MaxUpdatesPerSecond = room.MaxUpdatesPerSecond == 0 ? DefaultMaxUpdatesPerSecond : room.MaxUpdatesPerSecond;
        return room;
    }

    private static void Featured(FeaturedSku featured, string field, HashSet<string> seen)
    {
        if (featured.Sku.Length is 0 or > 128 || featured.Sku.Any(char.IsWhiteSpace))
        {
            throw RpcErrors.InvalidArgument(field + ".sku", "required, 1-128 characters without spaces");
        }
        if (!seen.Add(featured.Sku))
        {
            throw RpcErrors.InvalidArgument(field + ".sku", $"'{featured.Sku}' is featured twice");
        }
        if (featured.DisplayName.Length > 200)
        {
            throw RpcErrors.InvalidArgument(field + ".display_name", "at most 200 characters");
        }
        if (featured.Aliases.Count > 20 || featured.Aliases.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 100))
        {
            throw RpcErrors.InvalidArgument(field + ".aliases", "at most 20, each 1-100 characters");
        }
        if (featured.GreenAtOrAbove < 0)
        {
            throw RpcErrors.InvalidArgument(field + ".green_at_or_above", "must not be negative");
        }
        if (featured.YellowAtOrAbove < 0 || featured.YellowAtOrAbove > featured.GreenAtOrAbove)
        {
            throw RpcErrors.InvalidArgument(field + ".yellow_at_or_above", "between 0 and green_at_or_above");
        }
    }
}
