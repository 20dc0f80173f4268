"""The Lua scripts of the Redis state: each change is one script, so it is whole or not at all (a worker
killed mid-request leaves nothing half-done), and a change to overrides or scenarios takes the next
generation and announces it on the changes channel in the same step, so announcements come in order.

Session keys are given as KEYS; scripts that sweep every session (reset, eviction) name the other
sessions' keys themselves, which a single Redis server allows (not Redis Cluster).
"""

from __future__ import annotations

_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function expire(ttl, keys, from)
  if ttl > 0 then
    for i = from, #keys do redis.call('PEXPIRE', keys[i], ttl) end
  end
end
local function announce(gkey, channel, kind, session)
  local g = redis.call('INCR', gkey)
  local message = {g = g, kind = kind}
  if session ~= '' then message['session'] = session end
  redis.call('PUBLISH', channel, cjson.encode(message))
  return g
end
local function session_key(prefix, q, kind)
  return prefix .. 'session:' .. q .. ':' .. kind
end
"""

# KEYS: generation, controls, overrides, uses, control. ARGV: channel, quoted session, session, ttl, JSON.
ADD_OVERRIDE = _COMMON + """
local g = announce(KEYS[1], ARGV[1], 'control', ARGV[3])
redis.call('HSET', KEYS[3], g, ARGV[5])
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], ttl > 0 and now_ms() or '+inf', ARGV[2])
expire(ttl, KEYS, 3)
return g
"""

# KEYS: generation, controls, overrides, uses, control. ARGV: channel, quoted session, session, ttl, name
# ('' removes the switch).
SWITCH_SCENARIO = _COMMON + """
if ARGV[5] == '' then
  redis.call('HDEL', KEYS[5], 'scenario')
else
  redis.call('HSET', KEYS[5], 'scenario', ARGV[5])
end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], ttl > 0 and now_ms() or '+inf', ARGV[2])
expire(ttl, KEYS, 3)
return announce(KEYS[1], ARGV[1], 'control', ARGV[3])
"""

# KEYS: generation, overrides, uses. ARGV: channel, session.
CLEAR_OVERRIDES = _COMMON + """
redis.call('DEL', KEYS[2], KEYS[3])
return announce(KEYS[1], ARGV[1], 'control', ARGV[2])
"""

# KEYS: generation, controls. ARGV: channel, prefix.
CLEAR_EVERY_OVERRIDE = _COMMON + """
for _, q in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  redis.call('DEL', session_key(ARGV[2], q, 'overrides'), session_key(ARGV[2], q, 'uses'))
end
return announce(KEYS[1], ARGV[1], 'control', '')
"""

# A counted override answers one more request, if it has uses left; the last use removes it.
# KEYS: generation, overrides, uses. ARGV: channel, session, number, times. Returns the use (0: none left).
CLAIM = _COMMON + """
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then return 0 end
local used = redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
if used > tonumber(ARGV[4]) then return 0 end
if used == tonumber(ARGV[4]) then
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
  announce(KEYS[1], ARGV[1], 'control', ARGV[2])
end
return used
"""

# KEYS: generation, controls, journals, sessions, then the session's keys (all deleted).
# ARGV: channel, quoted session, session.
RESET_SESSION = _COMMON + """
for i = 5, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return announce(KEYS[1], ARGV[1], 'control', ARGV[3])
"""

# KEYS: generation, controls, journals, sessions, journal. ARGV: channel, prefix, then the key kinds of a
# session holding records (meta, records, numbers, order:<resource>...).
RESET_EVERYTHING = _COMMON + """
for _, q in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  redis.call('DEL', session_key(ARGV[2], q, 'overrides'), session_key(ARGV[2], q, 'uses'),
             session_key(ARGV[2], q, 'control'))
end
for _, q in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  redis.call('DEL', session_key(ARGV[2], q, 'journal'))
end
for _, q in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  for i = 3, #ARGV do redis.call('DEL', session_key(ARGV[2], q, ARGV[i])) end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return announce(KEYS[1], ARGV[1], 'control', '')
"""

# KEYS: generation. ARGV: channel. Every worker writes what its journal holds, then acknowledges.
BARRIER = _COMMON + """
return announce(KEYS[1], ARGV[1], 'flush', '')
"""

# A batch of journal entries in two arguments (a request's worth of arguments each would cost the writer
# more than the request): a JSON list of [session journal's KEYS index (0: the default session's, kept in
# the journal only), quoted session, metadata (JSON text), headers' length, body's length], and the
# headers and bodies one after the other. KEYS: journal, journals, the session journals named.
# ARGV: cap, ttl, entries, bytes.
JOURNAL_ADD = _COMMON + """
local cap, ttl = ARGV[1], tonumber(ARGV[2])
local entries, blob = cjson.decode(ARGV[3]), ARGV[4]
local now = now_ms()
local at = 1
for _, entry in ipairs(entries) do
  local index, q, meta = entry[1], entry[2], entry[3]
  local headers = string.sub(blob, at, at + entry[4] - 1)
  local body = string.sub(blob, at + entry[4], at + entry[4] + entry[5] - 1)
  at = at + entry[4] + entry[5]
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', cap, '*', 'm', meta, 'h', headers, 'b', body)
  if index > 0 then
    redis.call('XADD', KEYS[index], 'MAXLEN', '~', cap, '*', 'm', meta, 'h', headers, 'b', body)
    redis.call('ZADD', KEYS[2], now, q)
  end
end
local n = #entries
expire(ttl, KEYS, 3)
if ttl > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl) end
return n
"""

# KEYS: generation, controls, then one session's overrides, uses, control (or none: every session's).
# ARGV: prefix. Returns the generation, then per session: quoted name, overrides, uses, scenario, and the
# milliseconds until its keys expire (-1: never).
LOAD_CONTROL = _COMMON + """
local g = tonumber(redis.call('GET', KEYS[1]) or '0')
local out = {g}
local function load(q, overrides, uses, control)
  local ttl = math.max(redis.call('PTTL', overrides), redis.call('PTTL', control))
  local found = {q, redis.call('HGETALL', overrides), redis.call('HGETALL', uses),
                 redis.call('HGET', control, 'scenario') or '', ttl}
  for _, value in ipairs(found) do table.insert(out, value) end
end
if #KEYS > 2 then
  load('', KEYS[3], KEYS[4], KEYS[5])
else
  local stale = {}
  for _, q in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local overrides = session_key(ARGV[1], q, 'overrides')
    local control = session_key(ARGV[1], q, 'control')
    if redis.call('EXISTS', overrides, control) == 0 then
      table.insert(stale, q)
    else
      load(q, overrides, session_key(ARGV[1], q, 'uses'), control)
    end
  end
  for _, q in ipairs(stale) do redis.call('ZREM', KEYS[2], q) end
end
return out
"""

# A worker's heartbeat and acknowledgement: its key holds the newest generation it took (never less than
# before), for LEASE ms. KEYS: worker, workers. ARGV: generation, lease (ms), worker id.
ACK = """
local seen = tonumber(redis.call('GET', KEYS[1]) or '-1')
local value = math.max(seen, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return value
"""

# KEYS: the journal to clear (every session's, or one session's), journals. ARGV: prefix, quoted session
# ('': the journal of every session, and each session's).
CLEAR_JOURNAL = """
if ARGV[2] == '' then
  for _, q in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    redis.call('DEL', ARGV[1] .. 'session:' .. q .. ':journal')
  end
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 0
"""

# KEYS: workers. ARGV: prefix, generation. Returns {live workers, those that acknowledged the generation}.
ACKNOWLEDGED = """
local live, acked = 0, 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local seen = redis.call('GET', ARGV[1] .. 'worker:' .. id)
  if seen then
    live = live + 1
    if tonumber(seen) >= tonumber(ARGV[2]) then acked = acked + 1 end
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return {live, acked}
"""

# KEYS: meta, records, numbers. ARGV: the version the caller holds. Returns {version} when it is current,
# else {version, records, numbers}.
LOAD_RECORDS = """
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version == tonumber(ARGV[1]) then return {version} end
return {version, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
"""

# One request's changes to a session's records, if nothing changed them since the version it read.
# KEYS: meta, records, numbers, sessions, records-version, then one order key per resource.
# ARGV: expected version, quoted session, ttl, max records, max sessions, prefix, resources' order key
# kinds count R, the R kinds, change count N, N x (order KEYS index, field, value), number count M,
# M x (field, value). Returns the new version, or -1 when the session changed meanwhile.
COMMIT_RECORDS = _COMMON + """
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return -1 end
local q, ttl, max_records, max_sessions, prefix = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5]), ARGV[6]
local kinds = {}
local i = 8
for _ = 1, tonumber(ARGV[7]) do table.insert(kinds, ARGV[i]); i = i + 1 end
local n = tonumber(ARGV[i]); i = i + 1
local touched = {}
for _ = 1, n do
  local order, field, value = KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local seq = redis.call('ZSCORE', order, field)
  if not seq then
    seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
    redis.call('ZADD', order, seq, field)
  end
  redis.call('HSET', KEYS[2], field, seq .. '|' .. value)
  touched[order] = true
end
for order, _ in pairs(touched) do
  local extra = redis.call('ZCARD', order) - max_records
  if extra > 0 then
    local gone = redis.call('ZPOPMIN', order, extra)
    for j = 1, #gone, 2 do redis.call('HDEL', KEYS[2], gone[j]) end
  end
end
local m = tonumber(ARGV[i]); i = i + 1
for _ = 1, m do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local new_version = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[1], 'version', new_version)
local now = now_ms()
redis.call('ZADD', KEYS[4], now, q)
if ttl > 0 then
  for j = 1, #KEYS do
    if j ~= 4 and j ~= 5 then redis.call('PEXPIRE', KEYS[j], ttl) end
  end
end
local function evict(other)
  redis.call('DEL', session_key(prefix, other, 'meta'), session_key(prefix, other, 'records'),
             session_key(prefix, other, 'numbers'))
  for _, kind in ipairs(kinds) do redis.call('DEL', session_key(prefix, other, kind)) end
  redis.call('ZREM', KEYS[4], other)
end
if ttl > 0 then  -- sessions whose keys expired (the default session's never expire)
  for _, other in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - ttl)) do
    if other ~= 'default' then evict(other) end
  end
end
local excess = redis.call('ZCARD', KEYS[4]) - max_sessions
if excess > 0 then
  for _, other in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do
    if other ~= q then evict(other) end
  end
end
return new_version
"""
