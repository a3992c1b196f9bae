import { RedisScript } from './redis-script.js';

// The Lua scripts of the Redis read store. Each runs atomically on the server: nothing else runs
// between its commands. A script that raises an error half-way keeps the writes it made (Redis has
// no rollback), so the commit script checks everything first and writes only once every check
// passed; its writes cannot fail on keys of the store's own layout.

/** Milliseconds on the Redis server's clock: leases expire by it, so hosts' clocks never matter. */
const now = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** MGET in slices: Lua's unpack takes a few thousand values at most. */
const mget = `local function mget(keys)
  local docs = {}
  for from = 1, #keys, 1000 do
    local part = redis.call('MGET', unpack(keys, from, math.min(from + 999, #keys)))
    for k = 1, #part do docs[from + k - 1] = part[k] end
  end
  return docs
end`;

/** Reads the arguments in order. */
const args = `local a = ARGV
local i = 0
local function nx() i = i + 1 return a[i] end`;

/**
 * Commits one read transaction (a projection batch or admin work): the checks (namespaces still
 * registered, store generation, lease fence, checkpoint compare-and-set), then every write.
 * Replies `{'ok'}`, `{'lost', name, evidence}`, `{'lease'}` or `{'moved', name, expected, actual}`.
 */
export const commitLua = `${args}
local registry, checkpoints, generation, active, lost = nx(), nx(), nx(), nx(), nx()
local gen = nx()
local leaseKey, owner, epoch = nx(), nx(), nx()
local nns = tonumber(nx())
local namespaces = {}
for n = 1, nns do namespaces[n] = nx() end
for n = 1, nns do
  if redis.call('HEXISTS', registry, namespaces[n]) == 0 then return {'lost', namespaces[n], 'namespace'} end
end
if gen ~= '' and redis.call('GET', generation) ~= gen then
  return {'lost', namespaces[1] or '', 'generation'}
end
if leaseKey ~= '' then
  local held = redis.call('HMGET', leaseKey, 'owner', 'epoch')
  if held[1] ~= owner or held[2] ~= epoch then return {'lease'} end
end
local nc = tonumber(nx())
local cps = {}
for c = 1, nc do
  local name, pos, expected = nx(), nx(), nx()
  if expected ~= '' then
    local actual = redis.call('HGET', checkpoints, name)
    if actual == false then
      if tonumber(expected) ~= 0 then return {'lost', name, 'checkpoint'} end
      actual = '0'
    end
    if tonumber(actual) ~= tonumber(expected) then return {'moved', name, expected, actual} end
  end
  cps[c] = {name, pos}
end
for c = 1, nc do redis.call('HSET', checkpoints, cps[c][1], cps[c][2]) end
local pattern = '([^\\t\\n]+)\\t([^\\n]*)\\n'
local ng = tonumber(nx())
for g = 1, ng do
  local docPrefix, idsKey, entriesKey, indexPrefix = nx(), nx(), nx(), nx()
  local collectionsKey, collection, lists = nx(), nx(), nx()
  redis.call('HSETNX', collectionsKey, collection, lists)
  local nw = tonumber(nx())
  for w = 1, nw do
    local op, id, idPart, json, heads = nx(), nx(), nx(), nx(), nx()
    local old = redis.call('HGET', entriesKey, id)
    if old == false then old = '' end
    local changed = old ~= heads or op == 'd'
    if changed then
      for fields, head in string.gmatch(old, pattern) do
        redis.call('ZREM', indexPrefix .. fields, head .. idPart)
      end
    end
    if op == 'u' then
      redis.call('SET', docPrefix .. id, json)
      redis.call('ZADD', idsKey, 0, idPart)
      if changed then
        for fields, head in string.gmatch(heads, pattern) do
          redis.call('ZADD', indexPrefix .. fields, 0, head .. idPart)
        end
        if heads == '' then redis.call('HDEL', entriesKey, id) else redis.call('HSET', entriesKey, id, heads) end
      end
    else
      redis.call('DEL', docPrefix .. id)
      redis.call('ZREM', idsKey, idPart)
      redis.call('HDEL', entriesKey, id)
    end
  end
end
local np = tonumber(nx())
for p = 1, np do
  local key, eventId, json = nx(), nx(), nx()
  redis.call('HSETNX', key, eventId, json)
end
local nu = tonumber(nx())
for u = 1, nu do
  local key, eventId = nx(), nx()
  redis.call('HDEL', key, eventId)
end
local na = tonumber(nx())
for n = 1, na do
  local projection, namespace = nx(), nx()
  redis.call('HSET', active, projection, namespace)
  redis.call('HDEL', lost, projection)
end
return {'ok'}
`;

/**
 * Resolves the namespace a read serves: the given one, or the projection's active one. Replies
 * `{'none'}` when there is none, or when it is not registered (never prepared, dropped, or lost
 * in a restart of Redis), and `{'lost'}` instead when a batch found the projection lost and no
 * version is active again yet: the reader refuses rather than answering from nothing. The lost
 * marker is read only on the way to a refusal: a read that is served costs nothing more.
 */
const resolveNamespace = `local registry, active, lost, mode, name, projection = nx(), nx(), nx(), nx(), nx(), nx()
local function refused()
  if redis.call('HEXISTS', lost, projection) == 1 then return {'lost'} end
  return {'none'}
end
local ns = name
if mode == 'active' then
  ns = redis.call('HGET', active, name)
  if ns == false then return refused() end
end
if redis.call('HEXISTS', registry, ns) == 0 then return refused() end`;

/** Key lookups: `{'ok', namespace, doc…}` (nil for a missing document) or `{'none'}`. */
export const getLua = `${args}
${mget}
${resolveNamespace}
local before, after = nx(), nx()
local keys = {}
for k = i + 1, #a do keys[#keys + 1] = before .. ns .. after .. a[k] end
local reply = {'ok', ns}
if #keys == 0 then return reply end
local docs = mget(keys)
for k = 1, #keys do reply[k + 2] = docs[k] end
return reply
`;

/**
 * One page of a sorted set between two bounds (\`[\` inclusive: no bound ever equals a member),
 * with the documents: \`{'ok', namespace, id, doc, id, doc…}\` or \`{'none'}\`. Descending, ties
 * still go by ascending id: the script walks down value by value (the member head before the id)
 * and reads each value's members upwards; a cursor's unfinished value comes first (contLo..contHi).
 */
export const findLua = `${args}
${mget}
${resolveNamespace}
local setBefore, setAfter, docBefore, docAfter = nx(), nx(), nx(), nx()
local lo, hi, dir, count, contLo, contHi = nx(), nx(), nx(), tonumber(nx()), nx(), nx()
local key = setBefore .. ns .. setAfter
local out = {}
if dir == 'asc' then
  out = redis.call('ZRANGEBYLEX', key, '[' .. lo, '[' .. hi, 'LIMIT', 0, count)
else
  if contLo ~= '' then
    out = redis.call('ZRANGEBYLEX', key, '[' .. contLo, '[' .. contHi, 'LIMIT', 0, count)
  end
  local top = '[' .. hi
  while #out < count do
    local nextOne = redis.call('ZREVRANGEBYLEX', key, top, '[' .. lo, 'LIMIT', 0, 1)
    if #nextOne == 0 then break end
    local m = nextOne[1]
    local head = string.match(string.sub(m, 1, string.find(m, '#', 1, true) - 1), '^(.*!)')
    if head == nil then break end
    local group = redis.call('ZRANGEBYLEX', key, '[' .. head, '[' .. head .. '~', 'LIMIT', 0, count - #out)
    for _, g in ipairs(group) do out[#out + 1] = g end
    top = '(' .. head
  end
end
local reply = {'ok', ns}
if #out == 0 then return reply end
local ids, keys = {}, {}
for k, m in ipairs(out) do
  ids[k] = string.sub(m, string.find(m, '#', 1, true) + 1)
  keys[k] = docBefore .. ns .. docAfter .. ids[k]
end
local docs = mget(keys)
for k = 1, #ids do
  reply[#reply + 1] = ids[k]
  reply[#reply + 1] = docs[k]
end
return reply
`;

/**
 * Marks a projection lost (readers then say so) unless a version of it is active and registered:
 * a stale process meeting the loss after another one rebuilt must not hide the rebuilt version.
 */
export const markLostLua = `${args}
local registry, active, lost, projection, namespace = nx(), nx(), nx(), nx(), nx()
local current = redis.call('HGET', active, projection)
if current and redis.call('HEXISTS', registry, current) == 1 then return 0 end
redis.call('HSET', lost, projection, namespace)
return 1
`;

/** Records a live worker until now + ttl; replies the live workers. */
export const heartbeatLua = `${args}
${now}
local workers, owner, ttl = nx(), nx(), tonumber(nx())
redis.call('ZADD', workers, now + ttl, owner)
redis.call('ZREMRANGEBYSCORE', workers, '-inf', now)
return redis.call('ZRANGEBYSCORE', workers, '(' .. now, '+inf')
`;

/** Takes a lease if free, lapsed or the owner's; replies its epoch, or nil when held by another. */
export const acquireLua = `${args}
${now}
local key, leases, name, owner, ttl = nx(), nx(), nx(), nx(), tonumber(nx())
local held = redis.call('HMGET', key, 'owner', 'epoch', 'expires')
local epoch = 1
if held[1] then
  if held[1] ~= owner and tonumber(held[3]) > now then return false end
  if held[1] == owner then epoch = tonumber(held[2]) else epoch = tonumber(held[2]) + 1 end
end
redis.call('HSET', key, 'owner', owner, 'epoch', epoch, 'expires', now + ttl)
redis.call('SADD', leases, name)
return epoch
`;

/** Lets a lease lapse at once if `owner` still holds it under `epoch`. */
export const releaseLua = `${args}
local key, owner, epoch = nx(), nx(), nx()
local held = redis.call('HMGET', key, 'owner', 'epoch')
if held[1] == owner and held[2] == epoch then redis.call('HSET', key, 'expires', 0) end
return 1
`;

/** Every lease: \`{now, name, owner, epoch, expires, …}\`, by the server's clock. */
export const listLeasesLua = `${args}
${now}
local leases, prefix = nx(), nx()
local reply = {tostring(now)}
for _, name in ipairs(redis.call('SMEMBERS', leases)) do
  local held = redis.call('HMGET', prefix .. name, 'owner', 'epoch', 'expires')
  if held[1] then
    reply[#reply + 1] = name
    reply[#reply + 1] = held[1]
    reply[#reply + 1] = held[2]
    reply[#reply + 1] = held[3]
  end
end
return reply
`;

/** Claims a maintenance request (pending, or running under a lower epoch); replies 1 or 0. */
export const claimLua = `${args}
local key, owner, epoch = nx(), nx(), tonumber(nx())
local held = redis.call('HMGET', key, 'state', 'claimedEpoch')
if held[1] == 'pending' or (held[1] == 'running' and tonumber(held[2] or '0') < epoch) then
  redis.call('HSET', key, 'state', 'running', 'claimedBy', owner, 'claimedEpoch', epoch)
  return 1
end
return 0
`;

/** Writes fields of a request only while `owner` holds it under `epoch`; replies 1 when written. */
const heldBy = `local key, owner, epoch = nx(), nx(), nx()
local held = redis.call('HMGET', key, 'state', 'claimedBy', 'claimedEpoch')
if held[1] ~= 'running' or held[2] ~= owner or held[3] ~= epoch then return 0 end`;

/** Records a claimed request's progress. */
export const progressLua = `${args}
${heldBy}
redis.call('HSET', key, 'progress', nx())
return 1
`;

/** Records how a claimed request ended, moves it to the finished ones and keeps the last 1,000. */
export const finishLua = `${args}
${heldBy}
local state, detail, finishedAt, id, openKey, finishedKey, keyPrefix = nx(), nx(), nx(), nx(), nx(), nx(), nx()
if state == 'done' then
  redis.call('HSET', key, 'state', state, 'result', detail, 'finishedAt', finishedAt)
else
  redis.call('HSET', key, 'state', state, 'error', detail, 'finishedAt', finishedAt)
end
local sequence = redis.call('ZSCORE', openKey, id)
redis.call('ZREM', openKey, id)
redis.call('ZADD', finishedKey, sequence or 0, id)
local extra = redis.call('ZCARD', finishedKey) - 1000
if extra > 0 then
  for _, old in ipairs(redis.call('ZRANGE', finishedKey, 0, extra - 1)) do redis.call('DEL', keyPrefix .. old) end
  redis.call('ZREMRANGEBYRANK', finishedKey, 0, extra - 1)
end
return 1
`;

// The scripts, each run by SHA with a fallback to its source.

/** {@link commitLua}. */
export const commitScript = new RedisScript(commitLua);
/** {@link getLua}. */
export const getScript = new RedisScript(getLua);
/** {@link findLua}. */
export const findScript = new RedisScript(findLua);
/** {@link markLostLua}. */
export const markLostScript = new RedisScript(markLostLua);
/** {@link heartbeatLua}. */
export const heartbeatScript = new RedisScript(heartbeatLua);
/** {@link acquireLua}. */
export const acquireScript = new RedisScript(acquireLua);
/** {@link releaseLua}. */
export const releaseScript = new RedisScript(releaseLua);
/** {@link listLeasesLua}. */
export const listLeasesScript = new RedisScript(listLeasesLua);
/** {@link claimLua}. */
export const claimScript = new RedisScript(claimLua);
/** {@link progressLua}. */
export const progressScript = new RedisScript(progressLua);
/** {@link finishLua}. */
export const finishScript = new RedisScript(finishLua);
