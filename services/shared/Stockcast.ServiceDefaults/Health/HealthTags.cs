namespace Stockcast.ServiceDefaults;

public static class HealthTags
{
    /// <summary>Checks that decide whether the service may take traffic (readiness, gRPC health).</summary>
    public const string Ready = "ready";
}
