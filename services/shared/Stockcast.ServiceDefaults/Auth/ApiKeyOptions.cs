using System.ComponentModel.DataAnnotations;

namespace Stockcast.ServiceDefaults.Auth;

public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>
    /// Callers allowed in, each with a name (logged), a secret key (never logged) and a role. Any number
    /// of keys per role are valid at once, so a key is rotated by adding the new one beside the old.
    /// </summary>
    public List<ApiKey> ApiKeys { get; set; } = [];

    /// <summary>
    /// Whether read calls need no key. Off by default: with it on, anyone who can reach the gRPC port
    /// reads stock, rooms and alerts. Writes and admin calls always need a key of that role.
    /// </summary>
    public bool AllowAnonymousReads { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!ApiKeys.Any(k => k.Access.Grants(ApiKeyAccess.Write)))
        {
            yield return new ValidationResult(
                "Auth:ApiKeys needs at least one key with Access=Write or Admin: every service takes writes (set Auth__ApiKeys__0__Name, __Key and __Access from a secret).",
                [nameof(ApiKeys)]);
        }
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            var key = ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                yield return new ValidationResult($"Auth:ApiKeys:{i}:Name is required.", [nameof(ApiKeys)]);
            }
            if (key.Key.Length < ApiKey.MinimumLength)
            {
                yield return new ValidationResult($"Auth:ApiKeys:{i}:Key must be at least {ApiKey.MinimumLength} characters.", [nameof(ApiKeys)]);
            }
            if (!Enum.IsDefined(key.Access))
            {
                yield return new ValidationResult($"Auth:ApiKeys:{i}:Access must be Read, Write or Admin.", [nameof(ApiKeys)]);
            }
        }
        if (ApiKeys.GroupBy(k => k.Key).Any(g => g.Count() > 1))
        {
            yield return new ValidationResult("Auth:ApiKeys holds the same key twice.", [nameof(ApiKeys)]);
        }
    }
}

public sealed class ApiKey
{
    public const int MinimumLength = 24;

    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public ApiKeyAccess Access { get; set; } = ApiKeyAccess.Read;
}

/// <summary>The roles, each including the ones before it: an admin may write, a writer may read.</summary>
public enum ApiKeyAccess
{
    /// <summary>Reads: stock, availability, rooms, rules, feeds, alerts and their streams.</summary>
    Read,

    /// <summary>Day-to-day writes: stock events, reservations, signals, acknowledgements, spotlights.</summary>
    Write,

    /// <summary>Configuration: rooms and their tokens, alert rules, dead-letter replay and purge.</summary>
    Admin,
}

public static class ApiKeyAccessExtensions
{
    /// <summary>Whether a key of this role may do what <paramref name="needed"/> may.</summary>
    public static bool Grants(this ApiKeyAccess access, ApiKeyAccess needed) => access >= needed;
}
