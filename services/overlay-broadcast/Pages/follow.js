  // The page's token. From the URL fragment (#token=…), which no browser sends to a server: before
  // each stream opens (and every 15 minutes, well within the cookie's hour) it is exchanged
  // (POST base/session, in a header) for the room's HttpOnly cookie, which the streams carry, so
  // their URLs hold no token; the page's own calls send it in the header. An old link's ?token= is
  // used as it is. exchange() answers as whyRefused does: final when the token is refused for good.
  function pageToken(base) {
    const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
    const fromLink = new URLSearchParams(location.search).get("token") || "";
    if (!fromFragment) {
      return { query: `?token=${encodeURIComponent(fromLink)}`, headers: {}, exchange: async () => ({ final: false, after: 0 }) };
    }
    const headers = { "X-Stockcast-Token": fromFragment };
    const exchange = async () => {
      try {
        return refusalOf(await fetch(`${base}/session`, { method: "POST", headers, cache: "no-store" }));
      } catch {
        return { final: false, after: 0 };
      }
    };
    setInterval(exchange, 15 * 60 * 1000);
    return { query: "", headers, exchange };
  }

  // Follows a Server-Sent Events stream for good (shared by the overlay and the board, inlined into
  // each page where the marker stands). EventSource retries a dropped stream by itself (after the
  // server's "retry:"), but a refused reconnect (503 while Redis is down, say) closes it. Then the
  // page asks why: 401/403/404 call refused(); anything else opens a new stream after the answer's
  // Retry-After, or a backoff of 1 s doubling to 30 s while it keeps failing. Each (re)open first
  // exchanges the page's token (pageToken): the cookie is fresh, and a revoked token is final. The
  // page keeps its last frame meanwhile: dropped() marks it "updating…", never blank.
  function followEvents(url, handlers, dropped, refused, token) {
    async function open(attempt) {
      const exchanged = await token.exchange();
      if (exchanged.final) { refused(); return; }
      const events = new EventSource(url);
      for (const [kind, handle] of Object.entries(handlers)) {
        events.addEventListener(kind, e => { attempt = 0; handle(e, events); });
      }
      events.onerror = async () => {
        dropped();
        if (events.readyState !== EventSource.CLOSED) return;
        const refusal = await whyRefused(url);
        if (refusal.final) { refused(); return; }
        setTimeout(() => open(attempt + 1), Math.max(refusal.after, backoff(attempt)));
      };
    }

    open(0);
  }

  // Why a stream could not be (re)opened, asked over plain HTTP (the browser shows neither an
  // EventSource's nor a WebSocket upgrade's status): final for 401/403/404, which no retry mends;
  // otherwise the wait the answer asks for (Retry-After), if any: a 429 (rate limit, or a room or
  // token with all its streams open) is "later", never final.
  async function whyRefused(url) {
    const ask = new AbortController();
    try {
      return refusalOf(await fetch(url, { signal: ask.signal, cache: "no-store" }));
    } catch {
      return { final: false, after: 0 };
    } finally {
      ask.abort(); // a stream that opens now is not read: the next EventSource is
    }
  }

  // What an answer means for the page: final for 401/403/404, otherwise retry after its Retry-After.
  function refusalOf(answer) {
    return { final: [401, 403, 404].includes(answer.status), after: 1000 * (parseInt(answer.headers.get("Retry-After"), 10) || 0) };
  }

  // The wait before reconnect attempt n + 1: 1 s doubling to 30 s (the overlay's WebSocket waits the same).
  function backoff(attempt) {
    return Math.min(30000, 1000 * 2 ** attempt);
  }
