using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults;

public static class OptionsExtensions
{
    /// <summary>
    /// Binds a configuration section and validates it (data annotations plus
    /// <see cref="IValidatableObject"/>) when the host starts, so a bad setting stops the
    /// service with a message naming the key instead of failing on first use.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
    {
        return services.AddOptions<T>()
            .Bind(configuration.GetSection(section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}
