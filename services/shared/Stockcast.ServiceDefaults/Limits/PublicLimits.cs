using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// ASP.NET Core rate limiting for the endpoints marked <see cref="PublicEndpoint"/>: a fixed window
/// per client address and, when the request carries a token, per token (both must allow it), each
/// partition per endpoint kind. A refusal is 429 with Retry-After (the window's rest), counted in
/// stockcast_public_refusals_total. Endpoints not marked are not limited here.
/// </summary>
public static class PublicLimits
{
    public static IHostApplicationBuilder AddPublicLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<PublicLimitOptions>(builder.Configuration, PublicLimitOptions.Section);
        builder.Services.AddSingleton<PublicRefusals>();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<PublicLimitOptions>, PublicRefusals>((o, limits, refusals) =>
        {
            var window = TimeSpan.FromSeconds(limits.Value.WindowSeconds);
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http => Endpoint(http, limits.Value) is { } e
                    ? Window(e.Kind + "|a|" + http.Connection.RemoteIpAddress, e.PerAddress, window)
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(http => Endpoint(http, limits.Value) is { PerToken: > 0 } e && PublicTokens.From(http.Request) is { } token
                    ? Window(e.Kind + "|t|" + PublicTokens.Key(token), e.PerToken, window)
                    : RateLimitPartition.GetNoLimiter("")));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var kind = http.GetEndpoint()?.Metadata.GetMetadata<PublicEndpoint>()?.Kind ?? "unknown";
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : window;
                if (http.GetEndpoint()?.Metadata.GetMetadata<RefusalPage>() is { } page)
                {
                    refusals.Counted(http, kind, PublicRefusals.RateLimited, wait);
                    await page.WriteAsync(http, cancellationToken);
                    return;
                }
                await refusals.Refuse(http, kind, PublicRefusals.RateLimited, StatusCodes.Status429TooManyRequests, $"too many requests to this {kind} endpoint; try again after Retry-After", wait).ExecuteAsync(http);
            };
        });
        return builder;
    }

    /// <summary>The limiter in the pipeline: call after routing (WebApplication routes first) and before the endpoints run.</summary>
    public static WebApplication UsePublicLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static PublicEndpoint? Endpoint(HttpContext http, PublicLimitOptions limits)
        => http.GetEndpoint()?.Metadata.GetMetadata<PublicEndpoint>() is { } endpoint ? limits.For(endpoint) : null;

    private static RateLimitPartition<string> Window(string key, int permits, TimeSpan window)
        => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true });
}

/// <summary>
/// What a refused page request gets instead of problem JSON (which a browser source would paint over
/// the live video): the page's own refusal body, with the refusal's status.
/// </summary>
public sealed record RefusalPage(byte[] Html)
{
    public async Task WriteAsync(HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.Body.WriteAsync(Html, cancellationToken);
    }
}
