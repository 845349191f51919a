using Grpc.Core;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>The headers a service sends when it calls another with an API key of its own (from a secret).</summary>
public static class CallerApiKey
{
    /// <summary>"Authorization: Bearer {key}", or nothing when no key is configured (the callee allows anonymous reads).</summary>
    public static Metadata Headers(string apiKey)
        => apiKey.Length == 0 ? [] : new Metadata { { "Authorization", "Bearer " + apiKey } };
}
