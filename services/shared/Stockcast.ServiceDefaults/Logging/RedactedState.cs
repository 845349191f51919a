using Microsoft.Extensions.Logging;

namespace Stockcast.ServiceDefaults.Logging;

/// <summary>
/// A log record's (or scope's) state with its credentials masked: the formatted message and every
/// structured value, which the JSON console formatter and OpenTelemetry write on their own
/// (e.g. hosting's <c>QueryString</c>). Keys, including <c>{OriginalFormat}</c>, are kept.
/// </summary>
internal sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
{
    public static readonly Func<RedactedState, Exception?, string> Format = (state, _) => state._message;

    private readonly string _message;
    private readonly KeyValuePair<string, object?>[] _values;

    private RedactedState(string message, KeyValuePair<string, object?>[] values) => (_message, _values) = (Redact(message), values);

    public int Count => _values.Length;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    /// <summary>False when nothing in the state can hold a credential: the state goes on untouched.</summary>
    public static bool IsNeeded<TState>(TState state)
    {
        switch (state)
        {
            // Every LoggerMessage and hosting record: indexed, no enumerator to allocate.
            case IReadOnlyList<KeyValuePair<string, object?>> list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (Credentials.MayHold(list[i].Value))
                    {
                        return true;
                    }
                }
                return false;
            case IEnumerable<KeyValuePair<string, object?>> values:
                return values.Any(v => Credentials.MayHold(v.Value));
            default:
                return Credentials.MayHold(state);
        }
    }

    public static RedactedState Of<TState>(TState state, string message) => new(message, state is IEnumerable<KeyValuePair<string, object?>> values
        ? [.. values.Select(v => new KeyValuePair<string, object?>(v.Key, Credentials.MayHold(v.Value) ? Redact(v.Value!.ToString()) : v.Value))]
        : []);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The masked message: formatters that write the state itself (the JSON console's "State.Message") call this.</summary>
    public override string ToString() => _message;

    private static string Redact(string? text) => text is null ? "" : Credentials.Redact(text);
}
