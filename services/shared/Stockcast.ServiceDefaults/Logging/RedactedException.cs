namespace Stockcast.ServiceDefaults.Logging;

/// <summary>
/// Logged in place of an exception whose text (message, inner exceptions, stack) carried a
/// credential: the original's <see cref="Exception.ToString"/> with credentials masked, so its
/// type and stack trace still show. Exceptions without one are logged as they are.
/// </summary>
public sealed class RedactedException : Exception
{
    private readonly string _text;

    private RedactedException(Exception original, string text) : base(Credentials.Redact(original.Message))
    {
        _text = text;
        HResult = original.HResult;
    }

    /// <summary>The exception itself when its text holds no credential; otherwise its masked stand-in.</summary>
    public static Exception Of(Exception exception)
    {
        var text = exception.ToString();
        var redacted = Credentials.Redact(text);
        return ReferenceEquals(text, redacted) ? exception : new RedactedException(exception, redacted);
    }

    public override string ToString() => _text;
}
