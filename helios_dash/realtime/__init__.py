"""Events between processes: the bus (Redis pub/sub or in-process) and Redis health."""
from .bus import InProcessBus, RedisBus, make_bus
from .health import redis_status

__all__ = ["InProcessBus", "RedisBus", "make_bus", "redis_status"]
