namespace Stockcast.Chart.Tests;

public sealed class ValuesSchemaTests
{
    public static TheoryData<string> ShippedValuesFiles => new(["values.yaml", "values-us.yaml", "values-eu.yaml", "values-sea.yaml"]);

    [Theory]
    [MemberData(nameof(ShippedValuesFiles))]
    public void EveryShippedValuesFileMatchesTheSchema(string file)
    {
        var values = file == "values.yaml" ? ChartFiles.DefaultValues() : ChartFiles.Merge(ChartFiles.DefaultValues(), ChartFiles.LoadYaml(Path.Combine(ChartFiles.ChartDir, file)));

        var (valid, errors) = ChartFiles.Validate(values);

        Assert.True(valid, $"{file} does not match values.schema.json:{Environment.NewLine}{errors}");
    }

    [Fact]
    public void EachRegionFileNamesItsRegionWarehousesAndRedis()
    {
        foreach (var region in ChartFiles.Regions)
        {
            var own = ChartFiles.LoadYaml(Path.Combine(ChartFiles.ChartDir, $"values-{region}.yaml"));
            Assert.Equal(region, (string?)own["region"]);
            Assert.NotEmpty(own["warehouses"]!.AsArray());
            Assert.NotNull(own["redis"]?["address"]);
            Assert.NotEqual("stockcast", (string?)own["redis"]?["namespace"]);
            Assert.Equal(ChartFiles.Regions.Where(r => r != region).Order(), own["peers"]!.AsArray().Select(p => (string)p!["region"]!).Order());
        }
    }

    [Fact]
    public void MisspeltServiceKeyIsRejected() => AssertRejected("""
        services:
          stock-ledger:
            replica: 3
        """, "replica");

    [Fact]
    public void MisspeltTopLevelKeyIsRejected() => AssertRejected("""
        regoin: us
        """, "regoin");

    [Fact]
    public void UnknownServiceIsRejected() => AssertRejected("""
        services:
          stock-ledgr:
            enabled: true
        """, "stock-ledgr");

    [Fact]
    public void MisspeltSettingInAServicesConfigIsRejected() => AssertRejected("""
        services:
          stock-ledger:
            config:
              Ledger:
                MaxBatchEvent: 10
        """, "MaxBatchEvent");

    [Fact]
    public void SettingOfAnotherServiceInAServicesConfigIsRejected() => AssertRejected("""
        services:
          overlay-broadcast:
            config:
              Ledger:
                MaxBatchEvents: 10
        """, "Ledger");

    [Fact]
    public void SecretInPlainConfigIsRejected() => AssertRejected("""
        services:
          warehouse-connector:
            config:
              Connector:
                LedgerApiKey: not-in-values-please-not-in-values
        """, "LedgerApiKey");

    [Fact]
    public void FeedCredentialsInPlainConfigAreRejected() => AssertRejected("""
        services:
          warehouse-connector:
            config:
              Connector:
                Feeds:
                  - WarehouseId: us-east
                    Source: shipbob
                    Credentials: token-in-plain-text
        """, "Credentials");

    [Fact]
    public void WrongTypeIsRejected() => AssertRejected("""
        services:
          alerting:
            replicas: two
        """, "replicas");

    [Fact]
    public void OutOfRangeSettingIsRejected() => AssertRejected("""
        services:
          stock-ledger:
            config:
              Ledger:
                WatchProgressIntervalSeconds: 0
        """, "WatchProgressIntervalSeconds");

    [Fact]
    public void UnsupportedFeedSourceIsRejected() => AssertRejected("""
        services:
          warehouse-connector:
            config:
              Connector:
                Feeds:
                  - WarehouseId: us-east
                    Source: shipbobb
        """, "Source");

    [Fact]
    public void AddressPointingAtNoServiceIsRejected() => AssertRejected("""
        services:
          alerting:
            addresses:
              Alerting:LedgerAddress: stock-ledgr
        """, "Alerting:LedgerAddress");

    [Fact]
    public void AHeadlessServiceWhoseCallersDialOneAddressIsRejected() => AssertRejected("""
        services:
          alerting:
            headless: true
        """, "headless");

    [Fact]
    public void ADnsAddressIsAcceptedForTheLedgerOnlyWhoseClientBalancesOverItsPods()
    {
        Assert.True(ChartFiles.Validate(ChartFiles.ValuesWith("""
            services:
              overlay-broadcast:
                addresses:
                  Overlay:LedgerAddress: dns:///ledger.example.internal:5101
            peers:
              - {region: eu, ledgerAddress: "dns:///ledger.eu.example.internal:5101"}
            """)).Valid);
        AssertRejected("""
            services:
              overlay-broadcast:
                addresses:
                  Overlay:AlertingAddress: dns:///alerting.example.internal:5103
            """, "Overlay:AlertingAddress");
    }

    [Fact]
    public void SecretReferenceForASettingThatIsNoSecretIsRejected() => AssertRejected("""
        services:
          overlay-broadcast:
            secretConfig:
              Overlay:HeartbeatSeconds: {secretName: keys, key: heartbeat}
        """, "secretConfig");

    [Fact]
    public void ApiKeyWithUnknownAccessIsRejected() => AssertRejected("""
        services:
          stock-ledger:
            apiKeys:
              - {name: orders, access: Owner, secretName: keys, secretKey: orders}
        """, "access");

    [Fact]
    public void DaprOnWithoutTheAppTokenSecretIsRejected() => AssertRejected("""
        dapr:
          enabled: true
          appTokenSecret: ""
        """, "appTokenSecret");

    [Fact]
    public void RedisPasswordWrittenIntoValuesIsRejected() => AssertRejected("""
        redis:
          extraOptions: password=hunter2
        """, "extraOptions");

    [Fact]
    public void WarehouseWithoutMarketsIsRejected() => AssertRejected("""
        warehouses:
          - id: us-east
            region: us-central
            markets: []
        """, "markets");

    private static void AssertRejected(string overlay, string mentioned)
    {
        var (valid, errors) = ChartFiles.Validate(ChartFiles.ValuesWith(overlay));

        Assert.False(valid, "the schema accepted:" + Environment.NewLine + overlay);
        Assert.Contains(mentioned, errors);
    }
}
