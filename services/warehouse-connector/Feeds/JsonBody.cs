using System.Text.Unicode;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// What every JSON body a sender posts must be before it is parsed: UTF-8 (RFC 8259). The JSON reader
/// checks structure, not the bytes inside strings, so invalid UTF-8 would otherwise fail only when a
/// record's text is read, in the middle of an intake, as a 500.
/// </summary>
public static class JsonBody
{
    /// <summary>Throws <see cref="InvalidFieldException"/> naming "body" when <paramref name="body"/> is not UTF-8.</summary>
    public static void RequireUtf8(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            throw new InvalidFieldException("body", "not UTF-8 text");
        }
    }
}
