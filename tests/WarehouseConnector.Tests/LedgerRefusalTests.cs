using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Stockcast.Connector.Delivery;

namespace Stockcast.Connector.Tests;

/// <summary>Which events of a batch the ledger blamed, read from its google.rpc.Status field violations.</summary>
public sealed class LedgerRefusalTests
{
    private static RpcException Refusal(params string[] fields) => new Google.Rpc.Status
    {
        Code = (int)Code.InvalidArgument,
        Message = "invalid request",
        Details = { Any.Pack(new BadRequest { FieldViolations = { fields.Select(f => new BadRequest.Types.FieldViolation { Field = f, Description = "is wrong" }) } }) },
    }.ToRpcException();

    [Fact]
    public void EachEventNamedByAFieldPathIsBlamedWithTheLedgersReason()
    {
        var blamed = LedgerRefusal.Blamed(Refusal("events[1].sku", "events[3]"), count: 4);

        Assert.Equal(new Dictionary<int, string> { [1] = "ledger refused sku: is wrong", [3] = "ledger refused the record: is wrong" }, blamed);
    }

    [Fact]
    public void AWrongWarehouseBlamesEveryEventOfTheBatch()
        => Assert.Equal([0, 1, 2], LedgerRefusal.Blamed(Refusal("events[1].warehouse_id"), count: 3).Keys.Order());

    [Theory]
    [InlineData("events")]
    [InlineData("events[9].sku")]
    [InlineData("keys[0].sku")]
    [InlineData("batch_id")]
    public void APathThatNamesNoEventOfThisBatchBlamesNone(string field)
        => Assert.Empty(LedgerRefusal.Blamed(Refusal(field), count: 3));

    [Fact]
    public void ARefusalWithoutDetailsBlamesNone()
        => Assert.Empty(LedgerRefusal.Blamed(new RpcException(new global::Grpc.Core.Status(StatusCode.InvalidArgument, "no details")), count: 2));
}
