using System.Security.Claims;
using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Auth;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>The configured keys as every call checks them: by digest, in fixed time, following configuration changes.</summary>
public sealed class ApiKeyDirectoryTests
{
    private const string ReaderKey = "reader-key-0123456789abcdefghij";
    private const string AdminKey = "admin-key-0123456789abcdefghijk";

    [Fact]
    public void AKeyGrantsItsCallersNameAndItsRoleWithTheRolesBelowIt()
    {
        var directory = new ApiKeyDirectory(new Monitor(Keys(("dashboard", ReaderKey, ApiKeyAccess.Read), ("ops", AdminKey, ApiKeyAccess.Admin))));

        var admin = directory.Authenticate(AdminKey)!;
        var reader = directory.Authenticate(ReaderKey)!;

        Assert.Equal("ops", admin.Identity!.Name);
        Assert.Equal(["Read", "Write", "Admin"], Roles(admin));
        Assert.Equal("dashboard", reader.Identity!.Name);
        Assert.Equal(["Read"], Roles(reader));
        Assert.Equal(ApiKeyAuthenticationHandler.SchemeName, admin.Identity.AuthenticationType);
    }

    [Theory]
    [InlineData("")]
    [InlineData("reader-key-0123456789abcdefghi")]
    [InlineData("reader-key-0123456789abcdefghijk")]
    [InlineData("READER-KEY-0123456789ABCDEFGHIJ")]
    public void AnyOtherKeyIsRefused(string presented)
    {
        var directory = new ApiKeyDirectory(new Monitor(Keys(("dashboard", ReaderKey, ApiKeyAccess.Read))));

        Assert.Null(directory.Authenticate(presented));
    }

    [Fact]
    public void EachCallGetsAPrincipalOfItsOwn()
    {
        var directory = new ApiKeyDirectory(new Monitor(Keys(("dashboard", ReaderKey, ApiKeyAccess.Read))));
        var first = directory.Authenticate(ReaderKey)!;

        first.AddIdentity(new ClaimsIdentity([new Claim(ApiKeyAuthenticationHandler.AccessClaim, "Admin")]));

        Assert.Equal(["Read"], Roles(directory.Authenticate(ReaderKey)!));
    }

    [Fact]
    public void AChangedKeyListTakesEffectOnTheNextCall()
    {
        const string NewKey = "orders-key-2026-12-0123456789abcdef";
        var monitor = new Monitor(Keys(("orders", ReaderKey, ApiKeyAccess.Write)));
        var directory = new ApiKeyDirectory(monitor);
        Assert.NotNull(directory.Authenticate(ReaderKey));

        monitor.CurrentValue = Keys(("orders", NewKey, ApiKeyAccess.Write));

        Assert.Null(directory.Authenticate(ReaderKey));
        Assert.Equal("orders", directory.Authenticate(NewKey)!.Identity!.Name);
    }

    [Fact]
    public void SecretsLongerThanTheStackBufferCompareLikeShortOnes()
    {
        var secret = new string('k', 2_000) + "é";

        Assert.True(SecretComparison.Same(secret, new string('k', 2_000) + "é"));
        Assert.False(SecretComparison.Same(secret, new string('k', 2_000) + "e"));
        Assert.False(SecretComparison.Same(secret, ""));
        Assert.Equal(SecretComparison.Digest(secret), Digest(secret));
    }

    private static byte[] Digest(string secret) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret));

    private static string[] Roles(ClaimsPrincipal principal)
        => [.. principal.FindAll(ApiKeyAuthenticationHandler.AccessClaim).Select(c => c.Value)];

    private static ApiKeyOptions Keys(params (string Name, string Key, ApiKeyAccess Access)[] keys)
        => new() { ApiKeys = [.. keys.Select(k => new ApiKey { Name = k.Name, Key = k.Key, Access = k.Access })] };

    /// <summary>Options whose value the test changes, as a reloaded configuration does.</summary>
    private sealed class Monitor(ApiKeyOptions value) : IOptionsMonitor<ApiKeyOptions>
    {
        public ApiKeyOptions CurrentValue { get; set; } = value;

        public ApiKeyOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ApiKeyOptions, string?> listener) => null;
    }
}
