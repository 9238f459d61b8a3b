// The Lua scripts of the shared store. A script runs atomically in Redis, so one call commits a
// whole turn's batches (group commit, like one LMDB transaction) and checks each batch's
// preconditions against what is stored at that very moment. Keys are built from the prefix
// inside the scripts: this targets one Redis/Valkey primary, not Redis Cluster (the key layout
// is in redis-keys.ts).
import { createHash } from 'node:crypto';

export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * COMMIT: ARGV = prefix, node, count, then per batch: kind ('p' | 'r' | '-'), aor, expected
 * version ('-1' = any), op count, then the ops:
 *   pp aor id record expiresAt | dp aor id | ps aor tag record expiresAt | ds tag |
 *   rb aor bindings expiresAt (empty bindings = none left) |
 *   pl tag record expiresAt | dl tag (list subscriptions: kept under the committing node)
 * A batch is refused whole (-1) when its version moved or a dialog it writes is owned by another
 * node; otherwise it is applied and answers the new version of what it checked (0 if nothing).
 * Every change publishes a hint `kind\naor\nversion\nnode` on the channel.
 */
export const COMMIT = script(`
local P, me = ARGV[1], ARGV[2]
local count = tonumber(ARGV[3])
local i = 4
local out = {}
local function keep(key, at)
  local cur = redis.call('PEXPIRETIME', key)
  at = tonumber(at)
  if cur == -1 or at > cur then redis.call('PEXPIREAT', key, at) end
end
local function hint(kind, aor, v)
  redis.call('PUBLISH', P .. 'chg', kind .. '\\n' .. aor .. '\\n' .. v .. '\\n' .. me)
end
for b = 1, count do
  local kind, aor, expect, nops = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local vkey = nil
  if kind == 'p' then vkey = P .. 'p:' .. aor elseif kind == 'r' then vkey = P .. 'r:' .. aor end
  local ok = true
  if vkey and expect ~= '-1' and (redis.call('HGET', vkey, 'v') or '0') ~= expect then ok = false end
  local j = i
  for k = 1, nops do
    local op = ARGV[j]
    if op == 'pp' or op == 'ps' then
      if op == 'ps' then
        local owner = redis.call('HGET', P .. 'd:' .. ARGV[j + 2], 'n')
        if owner and owner ~= me then ok = false end
      end
      j = j + 5
    elseif op == 'dp' then j = j + 3
    elseif op == 'pl' then j = j + 4
    elseif op == 'dl' then j = j + 2
    elseif op == 'ds' then
      local owner = redis.call('HGET', P .. 'd:' .. ARGV[j + 1], 'n')
      if owner and owner ~= me then ok = false end
      j = j + 2
    else j = j + 4 end
  end
  if not ok then
    out[b] = -1
  else
    local changed = false
    local watchers = {}
    for k = 1, nops do
      local op = ARGV[i]
      if op == 'pp' then
        local key = P .. 'p:' .. ARGV[i + 1]
        redis.call('HSET', key, 'p:' .. ARGV[i + 2], ARGV[i + 3])
        keep(key, ARGV[i + 4])
        changed = true
        i = i + 5
      elseif op == 'dp' then
        redis.call('HDEL', P .. 'p:' .. ARGV[i + 1], 'p:' .. ARGV[i + 2])
        changed = true
        i = i + 3
      elseif op == 'ps' then
        local a, tag = ARGV[i + 1], ARGV[i + 2]
        local skey, dkey = P .. 's:' .. a, P .. 'd:' .. tag
        if redis.call('HSET', skey, 's:' .. tag, ARGV[i + 3]) == 1 then watchers[a] = true end
        keep(skey, ARGV[i + 4])
        redis.call('HSET', dkey, 'a', a, 'n', me)
        keep(dkey, ARGV[i + 4])
        redis.call('SADD', P .. 'o:' .. me, tag)
        i = i + 5
      elseif op == 'ds' then
        local tag = ARGV[i + 1]
        local dkey = P .. 'd:' .. tag
        local a = redis.call('HGET', dkey, 'a')
        if a and redis.call('HDEL', P .. 's:' .. a, 's:' .. tag) == 1 then watchers[a] = true end
        redis.call('DEL', dkey)
        redis.call('SREM', P .. 'o:' .. me, tag)
        i = i + 2
      elseif op == 'pl' then
        local key = P .. 'l:' .. me
        redis.call('HSET', key, ARGV[i + 1], ARGV[i + 2])
        i = i + 4
      elseif op == 'dl' then
        redis.call('HDEL', P .. 'l:' .. me, ARGV[i + 1])
        i = i + 2
      else
        local key = P .. 'r:' .. ARGV[i + 1]
        if ARGV[i + 2] == '' then redis.call('HDEL', key, 'b')
        else
          redis.call('HSET', key, 'b', ARGV[i + 2])
          keep(key, ARGV[i + 3])
        end
        changed = true
        i = i + 4
      end
    end
    out[b] = 0
    if vkey and changed then
      local v = redis.call('INCR', P .. 'seq')
      redis.call('HSET', vkey, 'v', v)
      hint(kind, aor, v)
      out[b] = v
    elseif vkey then
      out[b] = tonumber(redis.call('HGET', vkey, 'v') or '0')
    end
    for a in pairs(watchers) do
      local w = redis.call('INCR', P .. 'seq')
      redis.call('HSET', P .. 's:' .. a, 'w', w)
      hint('w', a, w)
    end
  end
  i = j
end
return out
`);

/**
 * CLAIM: ARGV = prefix, node, tag, force ('1' when its owner handed it over). The dialog becomes
 * this node's when its owner is this node already, or is dead (no lease), or handed it over.
 * Answers {1, aor} (ours now), {0, owner} (another live node notifies it) or {-1} (no dialog).
 */
export const CLAIM = script(`
local P, me, tag, force = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local dkey = P .. 'd:' .. tag
local owner = redis.call('HGET', dkey, 'n')
local aor = redis.call('HGET', dkey, 'a')
if not owner or not aor then return {-1} end
if owner ~= me then
  if force ~= '1' and redis.call('EXISTS', P .. 'n:' .. owner) == 1 then return {0, owner} end
  redis.call('HSET', dkey, 'n', me)
  redis.call('SREM', P .. 'o:' .. owner, tag)
  redis.call('SADD', P .. 'o:' .. me, tag)
end
return {1, aor}
`);

/**
 * ADOPT: ARGV = prefix, node, dead node, count. Moves up to `count` dialogs of a node whose
 * lease has run out to this node (several survivors running it share them out: SPOP is
 * atomic); forgets the dead node once it owns nothing. Answers tag, aor, tag, aor, …
 */
export const ADOPT = script(`
local P, me, dead, count = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', P .. 'n:' .. dead) == 1 then return {} end
local out = {}
local tags = redis.call('SPOP', P .. 'o:' .. dead, count)
for _, tag in ipairs(tags) do
  local dkey = P .. 'd:' .. tag
  if redis.call('HGET', dkey, 'n') == dead then
    redis.call('HSET', dkey, 'n', me)
    redis.call('SADD', P .. 'o:' .. me, tag)
    out[#out + 1] = tag
    out[#out + 1] = redis.call('HGET', dkey, 'a')
  end
end
if redis.call('SCARD', P .. 'o:' .. dead) == 0 and redis.call('EXISTS', P .. 'l:' .. dead) == 0 then
  redis.call('SREM', P .. 'nodes', dead)
end
return out
`);

/**
 * ADOPT_LISTS: ARGV = prefix, node, dead node, count. Moves up to `count` list subscriptions of
 * a node whose lease has run out into this node's hash (fields taken and written in one step,
 * so two survivors never both get one); forgets the dead node once it holds nothing. Answers
 * the moved records.
 */
export const ADOPT_LISTS = script(`
local P, me, dead, count = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', P .. 'n:' .. dead) == 1 then return {} end
local src, dst = P .. 'l:' .. dead, P .. 'l:' .. me
local out = {}
local tags = redis.call('HKEYS', src)
for k = 1, math.min(count, #tags) do
  local rec = redis.call('HGET', src, tags[k])
  redis.call('HSET', dst, tags[k], rec)
  redis.call('HDEL', src, tags[k])
  out[#out + 1] = rec
end
if redis.call('SCARD', P .. 'o:' .. dead) == 0 and redis.call('EXISTS', src) == 0 then
  redis.call('SREM', P .. 'nodes', dead)
end
return out
`);

/**
 * CLAIM_LIST: ARGV = prefix, node, tag, giver ('' or the node that handed it over). Finds the
 * node whose hash holds the list subscription (no index: the nodes are few) and moves it to
 * `node` when that node is dead (no lease) or is the giver. Answers {1, record} (ours now),
 * {0, owner} (another live node notifies it) or {-1} (no such list subscription).
 */
export const CLAIM_LIST = script(`
local P, me, tag, giver = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local mine = P .. 'l:' .. me
local rec = redis.call('HGET', mine, tag)
if rec then return {1, rec} end
for _, n in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  local key = P .. 'l:' .. n
  rec = n ~= me and redis.call('HGET', key, tag)
  if rec then
    if n ~= giver and redis.call('EXISTS', P .. 'n:' .. n) == 1 then return {0, n} end
    redis.call('HDEL', key, tag)
    redis.call('HSET', mine, tag, rec)
    return {1, rec}
  end
end
return {-1}
`);
