using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stockcast.ServiceDefaults.Logging;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>
/// Credentials never reach a logging provider: the host's logger factory, decorated as
/// AddServiceDefaults does, in front of a provider that keeps what it is given.
/// </summary>
public sealed class CredentialRedactionTests : IDisposable
{
    private const string Secret = "s3cr3t-Tok3n-value";
    private readonly KeptLogs _kept = new();
    private readonly ServiceProvider _services;
    private readonly ILogger _log;

    public CredentialRedactionTests()
    {
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_kept));
        _services = services.AddCredentialRedaction().BuildServiceProvider();
        _log = _services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
    }

    [Fact]
    public void ATokenInTheMessageAndInItsValuesIsMaskedWithLevelEventIdAndCategoryKept()
    {
        _log.Log(LogLevel.Debug, new EventId(1, "RequestStarting"), "Request starting {Url} ({QueryString})", $"http://h/overlay/r?token={Secret}&v=2", $"?token={Secret}");

        var record = Assert.Single(_kept.Records);
        Assert.Equal("Request starting http://h/overlay/r?token=***&v=2 (?token=***)", record.Message);
        Assert.Equal("Request starting http://h/overlay/r?token=***&v=2 (?token=***)", record.State.ToString());
        Assert.Equal("?token=***", record.Values["QueryString"]);
        Assert.Equal("Request starting {Url} ({QueryString})", record.Values["{OriginalFormat}"]);
        Assert.Equal((LogLevel.Debug, 1, "RequestStarting", "Microsoft.AspNetCore.Hosting.Diagnostics"), (record.Level, record.EventId.Id, record.EventId.Name, record.Category));
    }

    [Fact]
    public void ABearerKeyIsMaskedWhereverItIs()
    {
        _log.LogInformation("Authorization: {Header}", $"Bearer {Secret}");

        Assert.Equal("Authorization: Bearer ***", Assert.Single(_kept.Records).Message);
    }

    [Fact]
    public void ARecordWithoutCredentialsReachesTheProviderUntouched()
    {
        _log.LogWarning(new EventId(4), "Room {Room} stopped at revision {Revision}", "spring-drop", 42L);

        var record = Assert.Single(_kept.Records);
        Assert.Equal("Room spring-drop stopped at revision 42", record.Message);
        // The logger's own state object (no copy, no second formatting).
        Assert.Equal("Microsoft.Extensions.Logging", record.State.GetType().Namespace);
        Assert.Equal((LogLevel.Warning, 4), (record.Level, record.EventId.Id));
    }

    [Fact]
    public void AnExceptionCarryingATokenIsLoggedMaskedAndAnyOtherAsItIs()
    {
        var plain = new InvalidOperationException("the room is gone");
        _log.LogError(new InvalidOperationException($"GET /overlay/r?token={Secret} failed", new IOException($"signature={Secret}")), "Failed");
        _log.LogError(plain, "Failed");

        var masked = _kept.Records[0].Exception!;
        Assert.IsType<RedactedException>(masked);
        Assert.Equal("GET /overlay/r?token=*** failed", masked.Message);
        Assert.DoesNotContain(Secret, masked.ToString(), StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException", masked.ToString(), StringComparison.Ordinal);
        Assert.Contains("signature=***", masked.ToString(), StringComparison.Ordinal);
        Assert.Same(plain, _kept.Records[1].Exception);
    }

    [Fact]
    public void AScopeCarryingATokenIsMasked()
    {
        using (_log.BeginScope(new Dictionary<string, object?> { ["RequestPath"] = "/overlay/r", ["Link"] = $"/board/r?token={Secret}" }))
        {
            _log.LogInformation("Inside");
        }

        var scope = Assert.IsAssignableFrom<IEnumerable<KeyValuePair<string, object?>>>(Assert.Single(Assert.Single(_kept.Records).Scopes));
        Assert.Equal("/board/r?token=***", scope.Single(v => v.Key == "Link").Value);
        Assert.Equal("/overlay/r", scope.Single(v => v.Key == "RequestPath").Value);
    }

    [Theory]
    [InlineData("GET /x?TOKEN=abc", "GET /x?TOKEN=***")]
    [InlineData("/x?a=1&access_token=abc#top", "/x?a=1&access_token=***#top")]
    [InlineData("/hook?sig=abc&signature=def&secret=ghi&key=jkl", "/hook?sig=***&signature=***&secret=***&key=***")]
    [InlineData("\"authorization\":\"bearer abc.def\"", "\"authorization\":\"bearer ***\"")]
    [InlineData("Amazon nextToken=abc, api_key=def, Redis key ring", "Amazon nextToken=abc, api_key=def, Redis key ring")]
    public void OnlyTheListedQueryParametersAndBearerTokensAreMasked(string text, string logged)
    {
        Assert.Equal(logged, Credentials.Redact(text));
    }

    public void Dispose() => _services.Dispose();

    private sealed record Kept(string Category, LogLevel Level, EventId EventId, object State, string Message, Exception? Exception, IReadOnlyList<object?> Scopes)
    {
        public IReadOnlyDictionary<string, object?> Values => ((IEnumerable<KeyValuePair<string, object?>>)State).ToDictionary();
    }

    /// <summary>Keeps every record exactly as a provider receives it, with the scopes it sees.</summary>
    private sealed class KeptLogs : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public List<Kept> Records { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(KeptLogs kept, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => kept._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<object?>();
                kept._scopes.ForEachScope((scope, list) => list.Add(scope), scopes);
                kept.Records.Add(new Kept(category, logLevel, eventId, state!, formatter(state, exception), exception, scopes));
            }
        }
    }
}
