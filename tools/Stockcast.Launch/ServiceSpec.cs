using System.Net;

namespace Stockcast.Launch;

/// <summary>The Redis a service uses: its client configuration and the namespace its keys start with (null: the service's own default).</summary>
public sealed record RedisTarget(string Configuration, string? Namespace = null);

/// <summary>An API key the service accepts (<c>Auth:ApiKeys</c>): Read, Write or Admin access.</summary>
public sealed record ApiKey(string Name, string Key, string Access);

/// <summary>
/// What to start: a Stockcast service (or the warehouse simulator) from its build output, on its
/// Kestrel endpoints "Grpc", "Http" and "Management", with its Redis, its API keys and its own settings, all given
/// to the process as environment variables (configuration key "A:B" as "A__B").
/// </summary>
public sealed record ServiceSpec(string Name, string Assembly)
{
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The gRPC endpoint's port; null: a free one (moved if someone takes it before the first start binds it).</summary>
    public int? GrpcPort { get; init; }

    /// <summary>The HTTP/1.1 endpoint's port (pages, webhooks, health); null: a free one.</summary>
    public int? HttpPort { get; init; }

    /// <summary>The management endpoint's port (metrics, health); null: a free one.</summary>
    public int? ManagementPort { get; init; }

    /// <summary>False for a program with an HTTP endpoint only, no gRPC or management endpoint (the warehouse simulator).</summary>
    public bool HasGrpc { get; init; } = true;

    /// <summary>Polled on the HTTP endpoint until it answers 2xx: /readyz, or /healthz where readiness waits for other services.</summary>
    public string ReadinessPath { get; init; } = "/readyz";

    /// <summary>A .NET service starts in a second or two, but far slower on a machine loaded by other work.</summary>
    public TimeSpan ReadyDeadline { get; init; } = TimeSpan.FromSeconds(90);

    public RedisTarget? Redis { get; init; }

    public IReadOnlyList<ApiKey> ApiKeys { get; init; } = [];

    /// <summary>Configuration keys (e.g. "Ledger:Warehouses:0:Id") and their values; they win over everything above.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>ASPNETCORE_ENVIRONMENT (Development, Production); null: whatever this process has.</summary>
    public string? EnvironmentName { get; init; }

    public string? LogFile { get; init; }

    /// <inheritdoc cref="ChildProcessOptions.OwnSession"/>
    public bool OwnSession { get; init; }
}
