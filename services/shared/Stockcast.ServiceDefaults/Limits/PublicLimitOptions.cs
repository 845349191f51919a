using System.ComponentModel.DataAnnotations;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// The rate limits of the public endpoints (section PublicLimits). Each endpoint kind has its
/// defaults in code (docs/security.md lists them); a kind named here replaces them.
/// </summary>
public sealed class PublicLimitOptions : IValidatableObject
{
    public const string Section = "PublicLimits";

    /// <summary>The fixed window the permits are counted in.</summary>
    [Range(1, 3600)]
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Per endpoint kind ("page", "events", "webhook", ...): the permits that replace its defaults.</summary>
    public Dictionary<string, PublicLimit> Endpoints { get; set; } = [];

    public PublicEndpoint For(PublicEndpoint endpoint)
        => Endpoints.TryGetValue(endpoint.Kind, out var set)
            ? endpoint with { PerAddress = set.PerAddress ?? endpoint.PerAddress, PerToken = set.PerToken ?? endpoint.PerToken }
            : endpoint;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        => Endpoints
            .Where(e => e.Value.PerAddress is < 1 || e.Value.PerToken is < 0)
            .Select(e => new ValidationResult($"PublicLimits:Endpoints:{e.Key}: PerAddress must be at least 1 and PerToken at least 0 (0: not counted per token).", [nameof(Endpoints)]));
}

public sealed class PublicLimit
{
    public int? PerAddress { get; set; }

    public int? PerToken { get; set; }
}
