using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Stockcast.ServiceDefaults.Logging;

/// <summary>
/// Decorates the host's logger factory so every logger it hands out masks credentials before any
/// provider (console, OpenTelemetry, …) sees the record: one place for every provider, whenever
/// it was added, and the factory's per-provider filter rules keep working.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    // One per category, as the inner factory keeps them: framework code (every authentication
    // handler, made per request) asks for a logger on every call.
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName)
        => _loggers.TryGetValue(categoryName, out var logger) ? logger : _loggers.GetOrAdd(categoryName, name => new RedactingLogger(inner.CreateLogger(name)));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The container owns (and disposes) the inner factory.
    public void Dispose()
    {
    }
}

/// <summary>Masks credentials in a record's message, structured values, exception and scopes; level, event id and category unchanged.</summary>
internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        => RedactedState.IsNeeded(state) ? inner.BeginScope(RedactedState.Of(state, state.ToString() ?? "")) : inner.BeginScope(state);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }
        var logged = exception is null ? null : RedactedException.Of(exception);
        if (RedactedState.IsNeeded(state))
        {
            inner.Log(logLevel, eventId, RedactedState.Of(state, formatter(state, exception)), logged, RedactedState.Format);
        }
        else
        {
            inner.Log(logLevel, eventId, state, logged, formatter);
        }
    }
}
