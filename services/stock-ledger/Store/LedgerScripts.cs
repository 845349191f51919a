namespace Stockcast.Ledger.Store;

/// <summary>
/// The Lua scripts that change or read the ledger. Every key of one ledger carries the same
/// Redis Cluster hash tag (<c>{namespace}</c>), so each script runs atomically on one shard:
/// it applies a change and appends it to the change log in the same step, which is what makes
/// the revision order total and a Watch gap-free. Keys are derived inside the scripts from the
/// prefix (ARGV[1]); KEYS[1] is the revision counter, passed so the client routes by its slot.
///
/// Layout under prefix P = "{ns}:":
///   P..rev                 string   current revision
///   P..log                 stream   change log: one entry per script, id "LAST-0", fields f = first
///                                   revision, c = one line per change (cause\tsku\twh\tref\toh\tav\t
///                                   rs\tib\tus\tst\tsv\thd\tcm\tse); entries older than max length revisions trimmed
///   P..wh                  hash     warehouse id -> "region\tmarket,market\tallocationDelayMs"
///   P..mk:MARKET           set      warehouses serving a market
///   P..r:WH:SKU            hash     the stock record (fields below; ss = the last snapshot's source
///                                   time, dn = deltas kept in dl, th = the newest kept delta dropped)
///   P..dl:WH:SKU           zset     deltas applied since the last snapshot, by source time: member
///                                   "eventid\toh\tav\trs\tib\tus" (at most KEPT_DELTAS, the oldest dropped)
///   P..fn:NAME             string   a writer fence's highest term
///   P..ix                  zset     "SKU\tWH", lexicographic: list by SKU prefix
///   P..wx:WH               zset     SKU, lexicographic: list by warehouse
///   P..ev:EVENTID          string   delta already applied (expires after the dedupe retention)
///   P..o:ORDERID           hash     a reservation
///   P..exp                 zset     held order id -> expiry (ms)
///   P..pd:WH:SKU           zset     "orderid\tquantity" of a committed reservation -> settle-after (ms):
///                                   hand-over + allocation delay (the warehouse's, else the ledger's default)
/// </summary>
internal static class LedgerScripts
{
    // Shared by all scripts: the prefix, the clock and an argument cursor. Read scripts need no more,
    // and skipping the rest keeps the hottest reads cheap.
    private const string ReadPrelude = """
        local P = ARGV[1]
        local NOW = tonumber(ARGV[2])
        local argi = 3
        local function arg() local v = ARGV[argi]; argi = argi + 1; return v end
        local FIELDS = {'oh','av','rs','ib','us','st','sv','hd','cm','rv','se'}

        """;

    // Shared by the scripts that change things: record load/save and the change-log append.
    private const string Prelude = ReadPrelude + """
        -- Integers as exact decimal strings (a Lua number would print 1e+15). Values straight
        -- from ARGV are already strings and pass through: no reformatting on the hot path.
        local function fmt(x) if type(x) == 'string' then return x end return string.format('%d', x) end
        -- What a write carries over: the fields reads return, plus the ordering state of deltas and snapshots.
        local WFIELDS = {'oh','av','rs','ib','us','st','sv','hd','cm','rv','se','ss','dn'}
        local function load(wh, sku)
          local v = redis.call('HMGET', P..'r:'..wh..':'..sku, unpack(WFIELDS))
          if not v[10] then return nil end
          local r = {}
          for i, f in ipairs(WFIELDS) do r[f] = tonumber(v[i] or '0') end
          return r
        end
        local function blank() return {oh=0,av=0,rs=0,ib=0,us=0,st=0,sv=0,hd=0,cm=0,rv=0,se=0,ss=0,dn=0} end
        local function atp(r) local a = r.av - r.hd - r.cm; if a < 0 then return 0 end; return a end

        local REV, FIRST = nil, nil
        local LINES = {}
        local function next_rev()
          if not REV then
            REV = tonumber(redis.call('GET', P..'rev') or '0')
            FIRST = REV + 1
          end
          REV = REV + 1
          return REV
        end
        -- Saves the record and queues the change for the log: one revision per change.
        local function append(cause, wh, sku, r, ref)
          local rev = next_rev()
          if r.rv == 0 then
            redis.call('ZADD', P..'ix', 0, sku..'\t'..wh)
            redis.call('ZADD', P..'wx:'..wh, 0, sku)
          end
          r.rv = rev
          local oh, av, rs, ib, us = fmt(r.oh), fmt(r.av), fmt(r.rs), fmt(r.ib), fmt(r.us)
          local st, sv, hd, cm, se = fmt(r.st), fmt(r.sv), fmt(r.hd), fmt(r.cm), fmt(r.se)
          redis.call('HSET', P..'r:'..wh..':'..sku, 'oh',oh,'av',av,'rs',rs,'ib',ib,'us',us,'st',st,'sv',sv,'hd',hd,'cm',cm,'rv',fmt(rev),'se',se,
                     'ss',fmt(r.ss),'dn',fmt(r.dn))
          -- A concatenation chain: measured 4 us/event cheaper than table.concat of a fresh table.
          LINES[#LINES+1] = cause..'\t'..sku..'\t'..wh..'\t'..ref..'\t'..oh..'\t'..av..'\t'..rs..'\t'..ib..'\t'..us..'\t'..st..'\t'..sv..'\t'..hd..'\t'..cm..'\t'..se
          return rev
        end
        -- Appends this script's changes to the log as one entry (id = last revision, f = first),
        -- trims the log to the last `keep` revisions, and publishes the revision so feeds wake up.
        local function finish(keep)
          if REV then
            redis.call('XADD', P..'log', 'MINID', fmt(math.max(0, REV - tonumber(keep))), fmt(REV)..'-0',
                       'f', fmt(FIRST), 'c', table.concat(LINES, '\n'))
            redis.call('SET', P..'rev', fmt(REV))
            redis.call('PUBLISH', P..'changes', fmt(REV))
            return REV
          end
          return tonumber(redis.call('GET', P..'rev') or '0')
        end
        local function warehouse(wh)
          local v = redis.call('HGET', P..'wh', wh)
          if not v then return nil end
          local region, markets, delay = string.match(v, '^([^\t]*)\t([^\t]*)\t(%d+)$')
          return {region=region, markets=markets, delay=tonumber(delay)}
        end
        -- Committed reservations whose settle-after is older than a warehouse snapshot are in
        -- that snapshot's figures now: stop counting them here, so no unit counts twice. The snapshot's
        -- time is judged on the ledger's clock: a warehouse clock ahead of it cannot settle early.
        -- Only snapshots settle: a delta is one change, and figures after it include an allocation only
        -- if that was itself a delta that has already arrived (deltas arrive in any order; some sources
        -- send none for an allocation).
        -- A member is "oid\tq" (the quantity travels with it, so settling does not need the
        -- reservation, which may have outlived its retention); older members are the bare order id.
        local function settle(wh, sku, r, source_ms, retention)
          if r.cm <= 0 then return end
          if source_ms > NOW then source_ms = NOW end
          local pk = P..'pd:'..wh..':'..sku
          local due = redis.call('ZRANGEBYSCORE', pk, '-inf', '('..fmt(source_ms))
          for _, m in ipairs(due) do
            local oid, q = string.match(m, '^(.*)\t(%d+)$')
            if not oid then oid = m end
            local ok = P..'o:'..oid
            if not q then q = redis.call('HGET', ok, 'q') or '0' end
            r.cm = r.cm - tonumber(q)
            if redis.call('EXISTS', ok) == 1 then
              redis.call('HSET', ok, 'st', 3)
              redis.call('PEXPIRE', ok, retention)
            end
          end
          if r.cm < 0 then r.cm = 0 end
          if #due > 0 then redis.call('ZREMRANGEBYSCORE', pk, '-inf', '('..fmt(source_ms)) end
        end
        local function reservation(oid)
          local v = redis.call('HMGET', P..'o:'..oid, 'sku','mk','wh','q','st','ca','ea','ha','rv')
          if not v[1] then return nil end
          return v
        end

        """;

    /// <summary>
    /// ARGV: prefix, now, maxlen, dedupe retention ms, reservation retention ms, fence name ('' for none), fence term, event count,
    /// then per event kind(S|D), wh, sku, source ms, source version, oh, av, rs, ib, us, event id,
    /// source time estimated (1|0).
    /// Returns {-1, index} for an unknown warehouse, {-2, term} when the fence has seen a newer term
    /// than this batch's (nothing applied either way), else {revision, outcome1, detail1, ...} where
    /// detail is the revision or a reason; outcome 5 is STALE for a delta older than the last snapshot.
    /// Ordering (docs/ledger-data-model.md): a snapshot replaces the figures and includes every delta
    /// older than it; a delta as old as the last snapshot or newer is applied on top, and kept (the
    /// newest KEPT_DELTAS), so a snapshot that arrives after newer deltas gets them applied on top again.
    /// </summary>
    public static readonly LuaSource ApplyEvents = new(Prelude + """
        local KEPT_DELTAS = 16
        local maxlen = arg()
        local retention = arg()
        local kept_for = arg()
        local fence, term = arg(), tonumber(arg())
        local n = tonumber(arg())
        local base = argi
        if fence ~= '' then
          local seen = tonumber(redis.call('GET', P..'fn:'..fence) or '0')
          if term < seen then return {-2, seen} end
          if term > seen then redis.call('SET', P..'fn:'..fence, fmt(term)) end
        end
        local known = {}
        for i = 0, n - 1 do
          local wh = ARGV[base + i * 12 + 1]
          if not known[wh] then
            if redis.call('HEXISTS', P..'wh', wh) == 0 then return {-1, i} end
            known[wh] = true
          end
        end
        -- The deltas kept since the last snapshot that are not older than this one are not in its
        -- figures: they go on top of it again (the exact sum, below zero too: deltas add up in any order);
        -- the older ones are dropped with it. A reason instead when deltas it would need were dropped.
        local function on_top(wh, sku, r, st_ms)
          local rk, dk = P..'r:'..wh..':'..sku, P..'dl:'..wh..':'..sku
          local dropped = tonumber(redis.call('HGET', rk, 'th') or '0')
          if st_ms <= dropped then
            return 'source_time '..fmt(st_ms)..' is older than deltas applied since that are no longer kept (newest dropped: '..fmt(dropped)..')'
          end
          redis.call('ZREMRANGEBYSCORE', dk, '-inf', '('..fmt(st_ms))
          local kept = redis.call('ZRANGE', dk, 0, -1, 'WITHSCORES')
          local q = {tonumber(r.oh), tonumber(r.av), tonumber(r.rs), tonumber(r.ib), tonumber(r.us)}
          local newest = st_ms
          for k = 1, #kept, 2 do
            local j = 0
            for part in string.gmatch(kept[k], '\t(-?%d+)') do j = j + 1; q[j] = q[j] + tonumber(part) end
            local at = tonumber(kept[k + 1])
            if at > newest then newest = at end
          end
          r.oh, r.av, r.rs, r.ib, r.us, r.st, r.dn = q[1], q[2], q[3], q[4], q[5], newest, #kept / 2
          return nil
        end
        local out = {0}
        for i = 0, n - 1 do
          local at = base + i * 12
          local kind, wh, sku, st, sv = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
          if kind == 'S' then
            -- Snapshots are most of the traffic: read only what decides and what they keep.
            local v = redis.call('HMGET', P..'r:'..wh..':'..sku, 'sv', 'hd', 'cm', 'rv', 'dn')
            local stored = tonumber(v[1] or '0')
            local nsv = tonumber(sv)
            if v[4] and nsv < stored then
              out[#out+1] = 3; out[#out+1] = 'source_version '..sv..' is older than stored '..v[1]
            elseif v[4] and nsv == stored then
              out[#out+1] = 2; out[#out+1] = 'source_version '..sv..' already applied'
            else
              local r = {oh=ARGV[at + 5], av=ARGV[at + 6], rs=ARGV[at + 7], ib=ARGV[at + 8], us=ARGV[at + 9], st=st, sv=sv, ss=st, dn=0,
                         hd=tonumber(v[2] or '0'), cm=tonumber(v[3] or '0'), rv=tonumber(v[4] or '0'), se=ARGV[at + 11]}
              local late = nil
              if tonumber(v[5] or '0') > 0 then late = on_top(wh, sku, r, tonumber(st)) end
              if late then
                out[#out+1] = 3; out[#out+1] = late
              else
                settle(wh, sku, r, tonumber(st), kept_for)
                out[#out+1] = 1; out[#out+1] = append('S', wh, sku, r, '')
              end
            end
          else
            local eid = ARGV[at + 10]
            local q = {tonumber(ARGV[at + 5]), tonumber(ARGV[at + 6]), tonumber(ARGV[at + 7]), tonumber(ARGV[at + 8]), tonumber(ARGV[at + 9])}
            local r = load(wh, sku)
            local exists = r ~= nil
            if not exists then r = blank() end
            st, sv = tonumber(st), tonumber(sv)
            local ek = P..'ev:'..eid
            if redis.call('EXISTS', ek) == 1 then
              out[#out+1] = 2; out[#out+1] = 'event_id already applied'
            elseif exists and st < r.ss then
              out[#out+1] = 5; out[#out+1] = 'source_time '..fmt(st)..' is older than the last snapshot\'s '..fmt(r.ss)..': the snapshot already includes it'
            elseif exists and sv > 0 and sv <= r.sv then
              out[#out+1] = 3; out[#out+1] = 'source_version '..fmt(sv)..' is already included in stored '..fmt(r.sv)
            else
              -- Applied even when a figure goes below zero: a sale that overtook the delivery it sold from
              -- is owed by that delivery, which is on its way (ATP counts the figure as zero meanwhile).
              r.oh, r.av, r.rs, r.ib, r.us = r.oh + q[1], r.av + q[2], r.rs + q[3], r.ib + q[4], r.us + q[5]
              -- The record shows the later time, and whether that one is a stand-in.
              if st > r.st then r.st = st; r.se = tonumber(ARGV[at + 11]) end
              if sv > 0 then r.sv = sv end
              redis.call('SET', ek, '1', 'PX', retention)
              local dk = P..'dl:'..wh..':'..sku
              redis.call('ZADD', dk, st, eid..'\t'..ARGV[at + 5]..'\t'..ARGV[at + 6]..'\t'..ARGV[at + 7]..'\t'..ARGV[at + 8]..'\t'..ARGV[at + 9])
              r.dn = r.dn + 1
              if r.dn > KEPT_DELTAS then
                -- A snapshot older than the one dropped here can no longer be put right: it will be refused.
                local oldest = redis.call('ZPOPMIN', dk)
                r.dn = r.dn - 1
                local rk = P..'r:'..wh..':'..sku
                if tonumber(oldest[2]) > tonumber(redis.call('HGET', rk, 'th') or '0') then redis.call('HSET', rk, 'th', oldest[2]) end
              end
              out[#out+1] = 1; out[#out+1] = append('D', wh, sku, r, eid)
            end
          end
        end
        out[1] = finish(maxlen)
        return out
        """);

    /// <summary>ARGV: prefix, now, wh, region, markets (comma-separated), delay ms.</summary>
    public static readonly LuaSource RegisterWarehouse = new(Prelude + """
        local wh, region, markets, delay = arg(), arg(), arg(), arg()
        local old = warehouse(wh)
        if old then
          for m in string.gmatch(old.markets, '[^,]+') do redis.call('SREM', P..'mk:'..m, wh) end
        end
        for m in string.gmatch(markets, '[^,]+') do redis.call('SADD', P..'mk:'..m, wh) end
        redis.call('HSET', P..'wh', wh, region..'\t'..markets..'\t'..delay)
        return 1
        """);

    /// <summary>ARGV: prefix, now. Returns the registry hash as a flat list.</summary>
    public static readonly LuaSource ListWarehouses = new(ReadPrelude + """
        return redis.call('HGETALL', P..'wh')
        """);

    // Ends a held reservation (released or expired): its units count again.
    private const string EndHold = """
        local function end_hold(oid, v, status, cause, retention)
          local wh, sku, q = v[3], v[1], tonumber(v[4])
          local r = load(wh, sku)
          r.hd = r.hd - q
          if r.hd < 0 then r.hd = 0 end
          local rev = append(cause, wh, sku, r, oid)
          redis.call('HSET', P..'o:'..oid, 'st', status, 'rv', fmt(rev))
          redis.call('ZREM', P..'exp', oid)
          redis.call('PEXPIRE', P..'o:'..oid, retention)
        end

        """;

    /// <summary>
    /// ARGV: prefix, now, maxlen, retention ms, order id, sku, market, quantity, hold ms.
    /// Returns {'OK'|'EXISTS', reservation...}, {'EXPIRED', reservation...} for a retry of one whose hold
    /// has passed, {'CONFLICT', reservation...}, or {'SHORT', market ATP, largest single-warehouse ATP}.
    /// </summary>
    public static readonly LuaSource Reserve = new(Prelude + EndHold + """
        local maxlen, retention, oid, sku, market, qty, hold = arg(), arg(), arg(), arg(), arg(), tonumber(arg()), tonumber(arg())
        local existing = reservation(oid)
        if existing then
          -- A hold past its time is expired here, not left to the sweeper: its retry must not read as held.
          if tonumber(existing[5]) == 1 and tonumber(existing[7]) <= NOW then
            end_hold(oid, existing, 5, 'E', retention)
            finish(maxlen)
            existing = reservation(oid)
          end
          if existing[1] == sku and existing[2] == market and tonumber(existing[4]) == qty then
            if tonumber(existing[5]) == 5 then return {'EXPIRED', unpack(existing)} end
            return {'EXISTS', unpack(existing)}
          end
          return {'CONFLICT', unpack(existing)}
        end
        local whs = redis.call('SMEMBERS', P..'mk:'..market)
        table.sort(whs)
        -- Rule: the warehouse serving the market with the most available-to-promise that can
        -- ship the whole order; ties go to the lowest warehouse id. Orders are never split.
        local best, best_rec, largest, total = nil, nil, 0, 0
        for _, wh in ipairs(whs) do
          local r = load(wh, sku)
          if r then
            local a = atp(r)
            total = total + a
            if a > largest then largest = a end
            if a >= qty and (best == nil or a > atp(best_rec)) then best, best_rec = wh, r end
          end
        end
        if not best then return {'SHORT', total, largest} end
        best_rec.hd = best_rec.hd + qty
        local rev = append('R', best, sku, best_rec, oid)
        local expires = NOW + hold
        redis.call('HSET', P..'o:'..oid, 'sku', sku, 'mk', market, 'wh', best, 'q', fmt(qty), 'st', 1,
                   'ca', fmt(NOW), 'ea', fmt(expires), 'ha', 0, 'rv', fmt(rev))
        redis.call('ZADD', P..'exp', fmt(expires), oid)
        finish(maxlen)
        return {'OK', unpack(reservation(oid))}
        """);

    /// <summary>ARGV: prefix, now, maxlen, retention ms, order id. Returns {'OK'|'NOTFOUND'|'COMMITTED', reservation...}.</summary>
    public static readonly LuaSource Release = new(Prelude + EndHold + """
        local maxlen, retention, oid = arg(), arg(), arg()
        local v = reservation(oid)
        if not v then return {'NOTFOUND'} end
        local st = tonumber(v[5])
        if st == 2 or st == 3 then return {'COMMITTED', unpack(v)} end
        if st == 1 then
          end_hold(oid, v, 4, 'L', retention)
          finish(maxlen)
        end
        return {'OK', unpack(reservation(oid))}
        """);

    /// <summary>
    /// ARGV: prefix, now, maxlen, retention ms, default allocation delay ms, order id.
    /// Returns {'OK'|'NOTFOUND'|'EXPIRED'|'ENDED', reservation...}; ENDED is a released one.
    /// </summary>
    public static readonly LuaSource Commit = new(Prelude + EndHold + """
        local maxlen, retention, default_delay, oid = arg(), arg(), tonumber(arg()), arg()
        local v = reservation(oid)
        if not v then return {'NOTFOUND'} end
        local st = tonumber(v[5])
        if st == 1 and tonumber(v[7]) <= NOW then
          end_hold(oid, v, 5, 'E', retention)
          finish(maxlen)
          return {'EXPIRED', unpack(reservation(oid))}
        end
        if st == 5 then return {'EXPIRED', unpack(v)} end
        if st == 4 then return {'ENDED', unpack(v)} end
        if st == 1 then
          local wh, sku, q = v[3], v[1], tonumber(v[4])
          local r = load(wh, sku)
          r.hd = r.hd - q
          if r.hd < 0 then r.hd = 0 end
          r.cm = r.cm + q
          local rev = append('C', wh, sku, r, oid)
          -- A registration without its own delay (0) gets the ledger's default.
          local w = warehouse(wh)
          local delay = default_delay
          if w and w.delay > 0 then delay = w.delay end
          redis.call('HSET', P..'o:'..oid, 'st', 2, 'ha', fmt(NOW), 'rv', fmt(rev))
          redis.call('ZREM', P..'exp', oid)
          redis.call('ZADD', P..'pd:'..wh..':'..sku, fmt(NOW + delay), oid..'\t'..fmt(q))
          -- Kept for the retention after it is due to settle; settling restarts that from then.
          redis.call('PEXPIRE', P..'o:'..oid, fmt(delay + tonumber(retention)))
          finish(maxlen)
        end
        return {'OK', unpack(reservation(oid))}
        """);

    /// <summary>ARGV: prefix, now, maxlen, retention ms, limit. Expires held reservations past their time.</summary>
    public static readonly LuaSource ExpireHolds = new(Prelude + EndHold + """
        local maxlen, retention, limit = arg(), arg(), arg()
        local due = redis.call('ZRANGEBYSCORE', P..'exp', '-inf', fmt(NOW), 'LIMIT', 0, limit)
        for _, oid in ipairs(due) do
          local v = reservation(oid)
          if v and tonumber(v[5]) == 1 then
            end_hold(oid, v, 5, 'E', retention)
          else
            redis.call('ZREM', P..'exp', oid)
          end
        end
        finish(maxlen)
        return #due
        """);

    /// <summary>ARGV: prefix, now, order id.</summary>
    public static readonly LuaSource GetReservation = new(Prelude + """
        local v = reservation(arg())
        if not v then return {'NOTFOUND'} end
        return {'OK', unpack(v)}
        """);

    /// <summary>ARGV: prefix, now, count, then wh, sku pairs. Returns {revision, record-or-empty...}.</summary>
    public static readonly LuaSource ReadRecords = new(ReadPrelude + """
        local n = tonumber(arg())
        local out = {tonumber(redis.call('GET', P..'rev') or '0')}
        for i = 1, n do
          local wh, sku = arg(), arg()
          out[#out+1] = redis.call('HMGET', P..'r:'..wh..':'..sku, unpack(FIELDS))
        end
        return out
        """);

    /// <summary>ARGV: prefix, now, sku, market. Returns {revision, wh1, record1, wh2, record2, ...}.</summary>
    public static readonly LuaSource Availability = new(ReadPrelude + """
        local sku, market = arg(), arg()
        local out = {tonumber(redis.call('GET', P..'rev') or '0')}
        local whs = redis.call('SMEMBERS', P..'mk:'..market)
        table.sort(whs)
        for _, wh in ipairs(whs) do
          local v = redis.call('HMGET', P..'r:'..wh..':'..sku, unpack(FIELDS))
          if v[10] then out[#out+1] = wh; out[#out+1] = v end
        end
        return out
        """);

    /// <summary>
    /// ARGV: prefix, now, mode (sku|wh), prefix-or-warehouse, exclusive start member, limit.
    /// Returns {revision, sku1, wh1, record1, ...}.
    /// </summary>
    public static readonly LuaSource ListRecords = new(ReadPrelude + """
        local mode, key, after, limit = arg(), arg(), arg(), tonumber(arg())
        local out = {tonumber(redis.call('GET', P..'rev') or '0')}
        if mode == 'sku' then
          local lo = '['..key
          if after ~= '' then lo = '('..after end
          local members = redis.call('ZRANGEBYLEX', P..'ix', lo, '['..key..'\255', 'LIMIT', 0, limit)
          for _, m in ipairs(members) do
            local tab = string.find(m, '\t', 1, true)
            local sku, wh = string.sub(m, 1, tab - 1), string.sub(m, tab + 1)
            out[#out+1] = sku; out[#out+1] = wh
            out[#out+1] = redis.call('HMGET', P..'r:'..wh..':'..sku, unpack(FIELDS))
          end
        else
          local lo = '-'
          if after ~= '' then lo = '('..after end
          local members = redis.call('ZRANGEBYLEX', P..'wx:'..key, lo, '+', 'LIMIT', 0, limit)
          for _, sku in ipairs(members) do
            out[#out+1] = sku; out[#out+1] = key
            out[#out+1] = redis.call('HMGET', P..'r:'..key..':'..sku, unpack(FIELDS))
          end
        end
        return out
        """);
}

/// <summary>A script and its SHA1, so calls go by EVALSHA instead of re-sending (and re-hashing) the text.</summary>
internal sealed class LuaSource(string text)
{
    public string Text { get; } = text;
    public byte[] Sha1 { get; } = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(text));
}
