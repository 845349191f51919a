using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Stockcast.ServiceDefaults.Management;

/// <summary>
/// Which endpoints answer on the management port: <see cref="Only"/> there (metrics, operational
/// detail), or there as well as on the public ports (liveness and readiness, which say nothing).
/// </summary>
public sealed record ManagementEndpoint(bool Only);

/// <summary>
/// The port of the Kestrel endpoint "Management" (<c>Kestrel:Endpoints:Management:Url</c>): the one
/// Prometheus scrapes and the Ingress never routes to. The same Kestrel process listens on it beside
/// the gRPC and HTTP ports; a request is told apart by the local port it arrived on, never by its
/// Host header, which any client can write.
/// </summary>
public sealed record ManagementPort(int Port)
{
    public const string UrlKey = "Kestrel:Endpoints:Management:Url";

    public static ManagementPort From(IConfiguration configuration)
    {
        var url = configuration[UrlKey];
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Port <= 0)
        {
            throw new InvalidOperationException($"{UrlKey} must name the management endpoint with a fixed port (e.g. http://127.0.0.1:9201), got '{url}'.");
        }
        return new ManagementPort(uri.Port);
    }

    /// <summary>
    /// 404 for a management-only endpoint on any other port, and for anything but a management
    /// endpoint on the management port. Runs after routing, so the matched endpoint is known.
    /// </summary>
    public void Enforce(IApplicationBuilder app) => app.Use((context, next) =>
    {
        var endpoint = context.GetEndpoint()?.Metadata.GetMetadata<ManagementEndpoint>();
        var onManagementPort = context.Connection.LocalPort == Port;
        if (onManagementPort ? endpoint is null : endpoint is { Only: true })
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return next(context);
    });
}

public static class ManagementEndpointExtensions
{
    /// <summary>Served on the management port only (metrics, operational detail).</summary>
    public static TBuilder OnManagementPortOnly<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new ManagementEndpoint(Only: true));

    /// <summary>Served on the management port and on the public ports (liveness, readiness).</summary>
    public static TBuilder AlsoOnManagementPort<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new ManagementEndpoint(Only: false));
}
