using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Rooms;

/// <summary>Room checks (INVALID_ARGUMENT naming the field) and the defaults filled in before storing.</summary>
public static class RoomValidation
{
    public const int DefaultStaleAfterSeconds = 10;
    public const int DefaultMaxUpdatesPerSecond = 10;
    public const int DefaultCueIntervalSeconds = 30;
    private const int MaxFeatured = 100;

    /// <summary>The room as it will be stored: validated whole, defaults filled in.</summary>
    public static Room Normalised(Room request)
    {
        Identifiers.RoomId.Check(request.Id, "id");
        if (request.Title.Length > 200)
        {
            throw new InvalidFieldException("title", "at most 200 characters");
        }
        for (var i = 0; i < request.Platforms.Count; i++)
        {
            if (request.Platforms[i] == Platform.Unspecified || !Enum.IsDefined(request.Platforms[i]))
            {
                throw new InvalidFieldException($"platforms[{i}]", "must be a known platform");
            }
        }
        Identifiers.Market.Check(request.Market, "market");
        if (request.Featured.Count is 0 or > MaxFeatured)
        {
            throw new InvalidFieldException("featured", $"1 to {MaxFeatured} featured SKUs");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Featured.Count; i++)
        {
            Featured(request.Featured[i], $"featured[{i}]", seen);
        }
        var language = Languages.Checked(request.Display?.Language ?? "", "display.language");
        var hostLanguage = Languages.Checked(request.HostLanguage, "host_language");
        for (var i = 0; i < request.MutedCues.Count; i++)
        {
            if (request.MutedCues[i] == CueType.Unspecified || !Enum.IsDefined(request.MutedCues[i]))
            {
                throw new InvalidFieldException($"muted_cues[{i}]", "must be a known cue type");
            }
        }
        if (request.CueIntervalSeconds is < 0 or > 3600)
        {
            throw new InvalidFieldException("cue_interval_seconds", "0 (default 30) to 3600");
        }
        if (request.StartsAt is null)
        {
            throw new InvalidFieldException("starts_at", "required");
        }
        if (request.EndsAt is null || RequestTimes.Checked(request.EndsAt, "ends_at") <= RequestTimes.Checked(request.StartsAt, "starts_at"))
        {
            throw new InvalidFieldException("ends_at", "required, after starts_at");
        }
        if (request.StaleAfterSeconds is < 0 or > 3600)
        {
            throw new InvalidFieldException("stale_after_seconds", "0 (default 10) to 3600");
        }
        if (request.MaxUpdatesPerSecond is < 0 or > 30)
        {
            throw new InvalidFieldException("max_updates_per_second", "0 (default 10) to 30");
        }

        var room = request.Clone();
        // A room sent without display options gets them all; sent with some, it gets what it says.
        room.Display ??= new DisplayOptions { CountDown = true, HeatMap = true, SoldOutCard = true };
        // Stored as the tag it resolves to, so every reader (and GetRoom) sees the language the room speaks.
        room.Display.Language = language.Length == 0 ? Languages.ForMarket(room.Market) : language;
        room.HostLanguage = hostLanguage;
        var muted = room.MutedCues.Distinct().Order().ToList();
        room.MutedCues.Clear();
        room.MutedCues.Add(muted);
        room.CueIntervalSeconds = room.CueIntervalSeconds == 0 ? DefaultCueIntervalSeconds : room.CueIntervalSeconds;
        for (var i = 0; i < room.Featured.Count; i++)
        {
            var names = Languages.CheckedNames(room.Featured[i].Names, $"featured[{i}].names");
            room.Featured[i].Names.Clear();
            room.Featured[i].Names.Add(names);
        }
        room.StaleAfterSeconds = room.StaleAfterSeconds == 0 ? DefaultStaleAfterSeconds : room.StaleAfterSeconds;
        room.MaxUpdatesPerSecond = room.MaxUpdatesPerSecond == 0 ? DefaultMaxUpdatesPerSecond : room.MaxUpdatesPerSecond;
        return room;
    }

    private static void Featured(FeaturedSku featured, string field, HashSet<string> seen)
    {
        Identifiers.Sku.Check(featured.Sku, field + ".sku");
        if (!seen.Add(featured.Sku))
        {
            throw new InvalidFieldException(field + ".sku", $"'{featured.Sku}' is featured twice");
        }
        if (featured.DisplayName.Length > 200)
        {
            throw new InvalidFieldException(field + ".display_name", "at most 200 characters");
        }
        Languages.CheckImageUrl(featured.ImageUrl, field + ".image_url");
        if (featured.Aliases.Count > 20 || featured.Aliases.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 100))
        {
            throw new InvalidFieldException(field + ".aliases", "at most 20, each 1-100 characters");
        }
        if (featured.GreenAtOrAbove < 0)
        {
            throw new InvalidFieldException(field + ".green_at_or_above", "must not be negative");
        }
        if (featured.YellowAtOrAbove < 0 || featured.YellowAtOrAbove > featured.GreenAtOrAbove)
        {
            throw new InvalidFieldException(field + ".yellow_at_or_above", "between 0 and green_at_or_above");
        }
    }
}
