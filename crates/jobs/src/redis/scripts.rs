//! The Lua scripts that keep Redis's dispatch state consistent: each runs atomically.
//!
//! Keys, under `P` = `<redis.key_prefix>{jobs}:` (one hash tag, so a cluster keeps them on
//! one node):
//! - `P job:<id>` — hash: `queue`, `priority`, `run_at` (ms), `attempts`, `data` (what a
//!   worker needs, JSON), `staged` until the relay's transaction committed, `worker` while
//!   running; once finished, a tombstone: `outcome` (`done`/`dead`), `finished` (ms), `keep`,
//!   `error`, kept (a day at most) until the outcome is written to the database.
//! - `P ready:<queue>` — zset of due jobs, scored −priority (ties: id order, oldest first).
//! - `P scheduled:<queue>` — zset of jobs not yet due (delayed, or waiting to retry), by time.
//! - `P running` — zset of claimed jobs, scored by lease expiry (ms).
//! - `P wake:<queue>` — list of wake-up tokens idle workers block on (at most 64).
//! - `P relay` — which worker's relay moves rows from the database.

/// Shared by the scripts that make jobs due: pushes up to 16 tokens for `queue`.
macro_rules! with_wake {
    ($body:literal) => {
        concat!(
            "local P = ARGV[1]\n",
            "local function wake(queue, n)\n",
            "  local key = P .. 'wake:' .. queue\n",
            "  for _ = 1, math.min(n, 16) do redis.call('RPUSH', key, '1') end\n",
            "  redis.call('LTRIM', key, -64, -1)\n",
            "  redis.call('PEXPIRE', key, 3600000)\n",
            "end\n",
            $body
        )
    };
}

/// ARGV: prefix, then per job: id, queue, priority, run_at (ms), attempts, data.
/// Stages the jobs: known to Redis but not claimable until [`CONFIRM`], which the relay runs
/// once its transaction committed — so no outcome can come back before the row is `queued`.
/// A job already known (and not finished) is left alone: pushing twice is harmless.
pub(super) const PUSH: &str = r"
local P = ARGV[1]
for i = 2, #ARGV, 6 do
  local key = P .. 'job:' .. ARGV[i]
  if redis.call('EXISTS', key) == 0 or redis.call('HEXISTS', key, 'outcome') == 1 then
    redis.call('DEL', key)
    redis.call('HSET', key, 'queue', ARGV[i + 1], 'priority', ARGV[i + 2], 'run_at', ARGV[i + 3],
      'attempts', ARGV[i + 4], 'data', ARGV[i + 5], 'staged', '1')
  end
end
return 1
";

/// ARGV: prefix, now (ms), ids… Makes staged jobs claimable: ready when due, scheduled
/// otherwise; wakes workers. Returns how many were staged.
pub(super) const CONFIRM: &str = with_wake!(
    r"
local now = tonumber(ARGV[2])
local confirmed, due = 0, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local key = P .. 'job:' .. id
  if redis.call('HGET', key, 'staged') == '1' then
    redis.call('HDEL', key, 'staged')
    local fields = redis.call('HMGET', key, 'queue', 'priority', 'run_at')
    local queue, priority, run_at = fields[1], tonumber(fields[2]), tonumber(fields[3])
    if run_at <= now then
      redis.call('ZADD', P .. 'ready:' .. queue, -priority, id)
      due[queue] = (due[queue] or 0) + 1
    else
      redis.call('ZADD', P .. 'scheduled:' .. queue, run_at, id)
    end
    confirmed = confirmed + 1
  end
end
for queue, n in pairs(due) do wake(queue, n) end
return confirmed
"
);

/// ARGV: prefix, now (ms), lease expiry (ms), limit, worker, queues…
/// Puts jobs whose lease ran out back in their ready set (the lost attempt stays counted),
/// makes due scheduled jobs ready, then takes the best `limit` across the queues. Returns
/// id, attempts, data for each; leaves a token when jobs remain for other workers.
pub(super) const CLAIM: &str = with_wake!(
    r"
local now, lease_until, limit, worker = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local running = P .. 'running'
for _, id in ipairs(redis.call('ZRANGEBYSCORE', running, '-inf', '(' .. now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', running, id)
  local key = P .. 'job:' .. id
  local fields = redis.call('HMGET', key, 'queue', 'priority')
  if fields[1] then
    redis.call('HDEL', key, 'worker')
    redis.call('ZADD', P .. 'ready:' .. fields[1], -tonumber(fields[2]), id)
  end
end
local candidates = {}
for i = 6, #ARGV do
  local scheduled, ready = P .. 'scheduled:' .. ARGV[i], P .. 'ready:' .. ARGV[i]
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', scheduled, '-inf', now, 'LIMIT', 0, 1000)) do
    redis.call('ZREM', scheduled, id)
    local priority = redis.call('HGET', P .. 'job:' .. id, 'priority')
    if priority then redis.call('ZADD', ready, -tonumber(priority), id) end
  end
  local top = redis.call('ZRANGE', ready, 0, limit - 1, 'WITHSCORES')
  for j = 1, #top, 2 do
    candidates[#candidates + 1] = {top[j], tonumber(top[j + 1]), ready}
  end
end
table.sort(candidates, function(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return a[1] < b[1]
end)
local claimed = {}
for k = 1, math.min(limit, #candidates) do
  local id, ready = candidates[k][1], candidates[k][3]
  local key = P .. 'job:' .. id
  redis.call('ZREM', ready, id)
  local data = redis.call('HGET', key, 'data')
  if data then
    local attempts = redis.call('HINCRBY', key, 'attempts', 1)
    redis.call('HSET', key, 'worker', worker)
    redis.call('ZADD', running, lease_until, id)
    claimed[#claimed + 1] = id
    claimed[#claimed + 1] = attempts
    claimed[#claimed + 1] = data
  end
end
for i = 6, #ARGV do
  if redis.call('ZCARD', P .. 'ready:' .. ARGV[i]) > 0 then wake(ARGV[i], 1) end
end
return claimed
"
);

/// ARGV: prefix, worker, now (ms), then per job: id, keep (1/0). Turns the jobs `worker`
/// holds into `done` tombstones; returns id, attempts, last error ('' when none) for each.
pub(super) const COMPLETE: &str = r"
local P, worker, now = ARGV[1], ARGV[2], ARGV[3]
local held = {}
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local key = P .. 'job:' .. id
  if redis.call('HGET', key, 'worker') == worker then
    redis.call('ZREM', P .. 'running', id)
    redis.call('HDEL', key, 'worker', 'data')
    redis.call('HSET', key, 'outcome', 'done', 'finished', now, 'keep', ARGV[i + 1])
    redis.call('EXPIRE', key, 86400)
    held[#held + 1] = id
    held[#held + 1] = tonumber(redis.call('HGET', key, 'attempts'))
    held[#held + 1] = redis.call('HGET', key, 'error') or ''
  end
end
return held
";

/// ARGV: prefix, worker, id, now (ms), dead (1/0), retry at (ms), error. A dead job becomes
/// a tombstone; another waits in its scheduled set. Returns its attempts, or nil when
/// `worker` does not hold it.
pub(super) const FAIL: &str = r"
local P, worker, id = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'job:' .. id
if redis.call('HGET', key, 'worker') ~= worker then return false end
redis.call('ZREM', P .. 'running', id)
redis.call('HDEL', key, 'worker')
redis.call('HSET', key, 'error', ARGV[7])
if ARGV[5] == '1' then
  redis.call('HDEL', key, 'data')
  redis.call('HSET', key, 'outcome', 'dead', 'finished', ARGV[4])
  redis.call('EXPIRE', key, 86400)
else
  redis.call('ZADD', P .. 'scheduled:' .. redis.call('HGET', key, 'queue'), ARGV[6], id)
end
return tonumber(redis.call('HGET', key, 'attempts'))
";

/// ARGV: prefix, worker, lease expiry (ms), ids… Renews the leases `worker` holds.
pub(super) const HEARTBEAT: &str = r"
local P, worker = ARGV[1], ARGV[2]
for i = 4, #ARGV do
  if redis.call('HGET', P .. 'job:' .. ARGV[i], 'worker') == worker then
    redis.call('ZADD', P .. 'running', 'XX', ARGV[3], ARGV[i])
  end
end
return 1
";

/// ARGV: prefix, worker, ids… Gives jobs back unrun: ready again, the attempt not counted.
pub(super) const RELEASE: &str = with_wake!(
    r"
local worker = ARGV[2]
for i = 3, #ARGV do
  local id = ARGV[i]
  local key = P .. 'job:' .. id
  if redis.call('HGET', key, 'worker') == worker then
    redis.call('ZREM', P .. 'running', id)
    redis.call('HDEL', key, 'worker')
    redis.call('HINCRBY', key, 'attempts', -1)
    local fields = redis.call('HMGET', key, 'queue', 'priority')
    redis.call('ZADD', P .. 'ready:' .. fields[1], -tonumber(fields[2]), id)
    wake(fields[1], 1)
  end
end
return 1
"
);

/// ARGV: prefix, window, queues… How many more jobs each queue may take before it holds
/// `window` waiting jobs (the relay's back-pressure).
pub(super) const ROOM: &str = r"
local P, window = ARGV[1], tonumber(ARGV[2])
local room = {}
for i = 3, #ARGV do
  local waiting = redis.call('ZCARD', P .. 'ready:' .. ARGV[i]) + redis.call('ZCARD', P .. 'scheduled:' .. ARGV[i])
  room[#room + 1] = math.max(window - waiting, 0)
end
return room
";

/// ARGV: prefix, me, ttl (ms), release (1/0). Takes or renews the relay lock; with release,
/// gives it up. Returns 1 while `me` holds it.
pub(super) const LEAD: &str = r"
local key, me = ARGV[1] .. 'relay', ARGV[2]
local holder = redis.call('GET', key)
if ARGV[4] == '1' then
  if holder == me then redis.call('DEL', key) end
  return 0
end
if holder == false then
  redis.call('SET', key, me, 'PX', ARGV[3])
  return 1
end
if holder == me then
  redis.call('PEXPIRE', key, ARGV[3])
  return 1
end
return 0
";
