using System.ComponentModel.DataAnnotations;

namespace Stockcast.ServiceDefaults.Auth;

public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>Callers allowed in, each with a name (logged) and a secret key (never logged).</summary>
    public List<ApiKey> ApiKeys { get; set; } = [];

    /// <summary>Whether read calls need no key. Writes always need a key with write access.</summary>
    public bool AllowAnonymousReads { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!ApiKeys.Any(k => k.Access == ApiKeyAccess.Write))
        {
            yield return new ValidationResult(
                "Auth:ApiKeys needs at least one key with Access=Write (set Auth__ApiKeys__0__Name, __Key and __Access from a secret).",
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

public enum ApiKeyAccess
{
    Read,
    Write,
}
