using System.Text;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Ledger.Grpc;

/// <summary>Page tokens are opaque to clients: the last index entry of the page, tagged with the list mode.</summary>
internal static class PageToken
{
    public static string Encode(string member, bool byWarehouse)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes((byWarehouse ? "w:" : "s:") + member));

    public static string Decode(string token, bool byWarehouse)
    {
        if (token.Length == 0)
        {
            return "";
        }
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith(byWarehouse ? "w:" : "s:", StringComparison.Ordinal))
            {
                return text[2..];
            }
        }
        catch (FormatException)
        {
            // Falls through to the error below.
        }
        throw new InvalidFieldException("page_token", "not a token from a previous ListStock call with the same filter");
    }
}
