using System.Security.Cryptography;
using System.Text;

namespace Stockcast.Launch;

/// <summary>
/// The keys a service accepts, one per role (docs/security.md, "Who may call what"): callers read
/// with the reader key, write with the writer key and configure (rooms, rules, dead letters) with
/// the admin key, as deployed callers do.
/// </summary>
public sealed record RoleKeys(string Reader, string Writer, string Admin)
{
    /// <summary>
    /// The writer and reader keys made from the admin key (HMAC-SHA256 of the role's name), so one
    /// secret file holds all three and neither lesser key reveals the admin key.
    /// </summary>
    public static RoleKeys DerivedFrom(string adminKey) => new(Derive(adminKey, "reader"), Derive(adminKey, "writer"), adminKey);

    /// <summary>As <c>Auth:ApiKeys</c> entries: name, key, access.</summary>
    public IReadOnlyList<ApiKey> ApiKeys =>
    [
        new("reader", Reader, "Read"),
        new("writer", Writer, "Write"),
        new("admin", Admin, "Admin"),
    ];

    /// <summary>As configuration keys ("Auth:ApiKeys:0:Key"), for a host given settings.</summary>
    public Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            settings[$"Auth:ApiKeys:{i}:Name"] = ApiKeys[i].Name;
            settings[$"Auth:ApiKeys:{i}:Key"] = ApiKeys[i].Key;
            settings[$"Auth:ApiKeys:{i}:Access"] = ApiKeys[i].Access;
        }
        return settings;
    }

    private static string Derive(string adminKey, string role)
        => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(adminKey), Encoding.UTF8.GetBytes(role)));
}
