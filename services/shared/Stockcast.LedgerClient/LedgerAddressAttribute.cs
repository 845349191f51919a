using System.ComponentModel.DataAnnotations;

namespace Stockcast.LedgerClient;

/// <summary>An options property holding a ledger address a ledger client can dial (see <see cref="LedgerEndpoint.IsSupported"/>); unset passes (pair with [Required]).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LedgerAddressAttribute() : ValidationAttribute("{0} must be an absolute http://, https:// or dns:/// address of the stock-ledger.")
{
    public override bool IsValid(object? value) => value is null || LedgerEndpoint.IsSupported(value as Uri);
}
