using System.Text.Json;

namespace Stockcast.Testing.BadInput;

/// <summary>What every HTTP answer to a client's bad input must be: no 5xx, no internals shown, a 400 that names the field.</summary>
public static class HttpAnswers
{
    /// <summary>The rule the answer breaks, or null. Reads the body of everything but an open event stream.</summary>
    public static async Task<string?> ProblemAsync(HttpResponseMessage response, bool fieldExpected = false)
    {
        if ((int)response.StatusCode >= 500)
        {
            return $"answered {(int)response.StatusCode} to a client's mistake";
        }
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            return null;
        }
        var body = await response.Content.ReadAsStringAsync();
        if (body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal))
        {
            return $"the answer shows internals: {body[..Math.Min(body.Length, 300)]}";
        }
        if (response.IsSuccessStatusCode && body.Length == 0 && response.StatusCode != System.Net.HttpStatusCode.NoContent)
        {
            return "a blank 200";
        }
        if (fieldExpected && (int)response.StatusCode == 400 && !NamesField(body))
        {
            return $"a 400 that names no field: {body[..Math.Min(body.Length, 300)]}";
        }
        return null;
    }

    private static bool NamesField(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("field", out var field) && field.GetString() is { Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
