using Stockcast.Alerting.Grpc;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Alerting.Tests;

/// <summary>The catalog's display names per language and product pictures: checked as rooms check them, kept under the resolved tags.</summary>
public sealed class ProductNamesTests
{
    [Fact]
    public void NamesAreKeptUnderTheLanguagesTheirTagsResolveTo()
    {
        var products = new List<Product> { new() { Sku = "TEE-1", Name = "White tee", Names = { ["zh"] = "白色T恤", ["de-AT"] = "Weißes Shirt" }, ImageUrl = "https://cdn.example/tee.jpg" } };

        RequestValidation.Products(products);

        Assert.Equal(new Dictionary<string, string> { ["zh-Hans"] = "白色T恤", ["de"] = "Weißes Shirt" }, products[0].Names);
    }

    [Fact]
    public void ABadNameOrPictureIsRefusedNamingTheProductsField()
    {
        string Refused(Product bad) => Assert.Throws<InvalidFieldException>(() => RequestValidation.Products([new Product { Sku = "TEE-1" }, bad])).Field;

        Assert.Equal("products[1].names", Refused(new Product { Sku = "TEE-2", Names = { ["xx"] = "?" } }));
        Assert.Equal("products[1].names", Refused(new Product { Sku = "TEE-2", Names = { ["de"] = " Shirt" } }));
        Assert.Equal("products[1].image_url", Refused(new Product { Sku = "TEE-2", ImageUrl = "http://cdn.example/tee.jpg" }));
    }
}
