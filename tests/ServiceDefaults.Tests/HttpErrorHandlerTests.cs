using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>The HTTP edge: problem details with the right status, 503 with Retry-After for a failing store.</summary>
public sealed class HttpErrorHandlerTests
{
    private static async Task<(bool Handled, HttpResponse Response, JsonElement? Body)> HandleAsync(Exception exception, string? accept = null)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Path = "/v1/warehouses/us-erp/stock";
        if (accept is not null)
        {
            http.Request.Headers.Accept = accept;
        }
        http.Response.Body = new MemoryStream();
        var handler = new HttpErrorHandler(services.GetRequiredService<IProblemDetailsService>(), NullLogger<HttpErrorHandler>.Instance);

        var handled = await handler.TryHandleAsync(http, exception, CancellationToken.None);

        http.Response.Body.Position = 0;
        var body = http.Response.Body.Length == 0 ? (JsonElement?)null : await JsonSerializer.DeserializeAsync<JsonElement>(http.Response.Body);
        return (handled, http.Response, body);
    }

    [Fact]
    public async Task AFailingStoreIs503WithRetryAfterAndAProblemSayingSo()
    {
        var (handled, response, body) = await HandleAsync(new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No connection is active", null, CommandStatus.Unknown));

        Assert.True(handled);
        Assert.Equal(503, response.StatusCode);
        Assert.Equal(ErrorMapping.RetryAfterSeconds, response.Headers.RetryAfter.ToString());
        Assert.Equal(503, body!.Value.GetProperty("status").GetInt32());
        Assert.Equal("the store is unavailable; retry shortly", body.Value.GetProperty("detail").GetString());
        Assert.Equal("the store is unavailable; retry shortly", body.Value.GetProperty("title").GetString());
    }

    [Fact]
    public async Task AnInvalidFieldIs400NamingTheFieldWithoutRetryAfter()
    {
        var (handled, response, body) = await HandleAsync(new InvalidFieldException("records[2].sku", "required"));

        Assert.True(handled);
        Assert.Equal(400, response.StatusCode);
        Assert.False(response.Headers.ContainsKey("Retry-After"));
        Assert.Equal(("records[2].sku", "records[2].sku: required"), (body!.Value.GetProperty("field").GetString(), body.Value.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task AClientThatAcceptsNoJsonStillGetsTheStatus()
    {
        var (handled, response, body) = await HandleAsync(new NotFoundException("no room 'r1'"), accept: "text/html");

        Assert.True(handled);
        Assert.Equal(404, response.StatusCode);
        Assert.Null(body);
    }

    [Fact]
    public async Task ABugIsLeftToTheDefaultHandler()
    {
        var (handled, _, body) = await HandleAsync(new InvalidOperationException("bug"));

        Assert.False(handled);
        Assert.Null(body);
    }
}
