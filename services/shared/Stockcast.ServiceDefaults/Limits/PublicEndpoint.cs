using Microsoft.AspNetCore.Builder;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// Marks an endpoint as reachable from the internet (an overlay page, a stream, a webhook): its
/// requests are rate-limited per client address and per token, and its refusals are counted under
/// <paramref name="Kind"/>. The permits are the defaults; PublicLimits:Endpoints:{Kind} overrides them.
/// </summary>
/// <param name="Kind">The "endpoint" label of stockcast_public_refusals_total and the options key.</param>
/// <param name="PerAddress">Requests a client address may make per window.</param>
/// <param name="PerToken">Requests one token may make per window (0: the endpoint has no token to count by).</param>
public sealed record PublicEndpoint(string Kind, int PerAddress, int PerToken);

public static class PublicEndpointExtensions
{
    /// <summary>Puts the endpoint under the public limits of <paramref name="endpoint"/>.</summary>
    public static TBuilder WithPublicLimits<TBuilder>(this TBuilder builder, PublicEndpoint endpoint) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(endpoint);
}
