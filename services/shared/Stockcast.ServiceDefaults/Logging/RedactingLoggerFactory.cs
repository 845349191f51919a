using Microsoft.Extensions.Logging;

namespace Stockcast.ServiceDefaults.Logging;

/// <summary>
/// Decorates the host's logger factory so every logger it hands out masks credentials before any
/// provider (console, OpenTelemetry, …) sees the record: one place for every provider, whenever
/// it was added, and the factory's per-provider filter rules keep working.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

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
