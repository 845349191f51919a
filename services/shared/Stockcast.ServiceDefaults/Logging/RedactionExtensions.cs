using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Stockcast.ServiceDefaults.Logging;

public static class RedactionExtensions
{
    /// <summary>
    /// Every logger the host creates masks credentials (see <see cref="Credentials"/>) in messages,
    /// structured values, scopes and exceptions, for every logging provider. Hosting logs a
    /// request's URL ("Request starting … ?token=…") before any middleware runs, so this is the
    /// one place that can keep a token out of the logs.
    /// </summary>
    public static IServiceCollection AddCredentialRedaction(this IServiceCollection services)
    {
        var factory = services.Last(d => d.ServiceType == typeof(ILoggerFactory) && !d.IsKeyedService);
        if (factory.ImplementationType is not { } type)
        {
            throw new InvalidOperationException($"the logger factory is registered as an instance or a factory ({factory}); only a type (AddLogging's LoggerFactory) can be decorated");
        }
        services.Remove(factory);
        services.AddSingleton(type);
        services.AddSingleton<ILoggerFactory>(sp => new RedactingLoggerFactory((ILoggerFactory)sp.GetRequiredService(type)));
        return services;
    }
}
