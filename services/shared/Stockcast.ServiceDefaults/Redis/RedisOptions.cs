using System.ComponentModel.DataAnnotations;

namespace Stockcast.ServiceDefaults.Redis;

public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string: one node, or several seeds of a Redis Cluster.</summary>
    [Required(ErrorMessage = "Redis:Configuration is required (e.g. \"127.0.0.1:6379\").")]
    public string Configuration { get; set; } = "";

    /// <summary>
    /// Namespace of every key this deployment writes, used as the Redis Cluster hash tag
    /// (<c>{Namespace}</c>) so each service's atomic scripts stay within one hash slot.
    /// </summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,31}$", ErrorMessage = "Redis:Namespace must be 1-32 lowercase letters, digits or '-'.")]
    public string Namespace { get; set; } = "stockcast";

    /// <summary>"{namespace}:", the start of every key: the hash tag keeps a service's keys in one slot.</summary>
    public string KeyPrefix => "{" + Namespace + "}:";
}
