"""The failures a store can raise, declared low, so HTTP plumbing can map them without importing any store."""

from redis import RedisError
from redis.exceptions import RedisClusterException

# A store that cannot answer: redis-py's errors, and the cluster client's that are not RedisErrors (no slot map,
# slot not covered, ...). kernel/http/errors.py answers each with the 503, never a 500.
STORE_ERRORS = (RedisError, RedisClusterException)
