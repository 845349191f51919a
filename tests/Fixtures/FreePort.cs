namespace Stockcast.Testing;

public static class FreePort
{
    /// <summary>A loopback TCP port nobody listens on right now (and not handed out before in this test run).</summary>
    public static int Next() => Launch.FreePort.Next();
}
