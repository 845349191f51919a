  // Follows a Server-Sent Events stream for good (shared by the overlay and the board, inlined into
  // each page where the marker stands). EventSource retries a dropped stream by itself (after the
  // server's "retry:"), but a refused reconnect (503 while Redis is down, say) closes it. Then the
  // page asks why: 401/403/404 call refused(); anything else opens a new stream after the answer's
  // Retry-After, or a backoff of 1 s doubling to 30 s while it keeps failing. The page keeps its
  // last frame meanwhile: dropped() marks it "updating…", never blank.
  function followEvents(url, handlers, dropped, refused) {
    function open(attempt) {
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
      const answer = await fetch(url, { signal: ask.signal, cache: "no-store" });
      return { final: [401, 403, 404].includes(answer.status), after: 1000 * (parseInt(answer.headers.get("Retry-After"), 10) || 0) };
    } catch {
      return { final: false, after: 0 };
    } finally {
      ask.abort(); // a stream that opens now is not read: the next EventSource is
    }
  }

  // The wait before reconnect attempt n + 1: 1 s doubling to 30 s (the overlay's WebSocket waits the same).
  function backoff(attempt) {
    return Math.min(30000, 1000 * 2 ** attempt);
  }
