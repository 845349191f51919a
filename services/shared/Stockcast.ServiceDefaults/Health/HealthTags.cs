namespace Stockcast.ServiceDefaults;

public static class HealthTags
{
    /// <summary>Checks that decide whether the service may take traffic (readiness, gRPC health).</summary>
    public const string Ready = "ready";

    /// <summary>
    /// The gRPC health service name Kubernetes' liveness probe asks for: SERVING while the process
    /// answers, whatever Redis does (a Redis outage must not restart every pod).
    /// </summary>
    public const string LivenessService = "liveness";

    /// <summary>The one check behind <see cref="LivenessService"/>: healthy whenever it runs.</summary>
    public const string Live = "live";
}
