"""Rasa's Redis lock store, with each change of a lock made atomically, for two or more Rasa servers
(endpoints.scale.yml).

Rasa's RedisLockStore changes a conversation's lock by reading it, changing it in Python and writing it
back (issue a ticket, drop expired tickets, finish one, delete the lock): two servers doing it at the
same moment both read the same lock, and the second write erases the first. Two messages can then get
the same ticket and be handled at the same time, or a ticket disappears (measured: bot/tests/
test_scale_out.py). Here each change runs in a Redis transaction (WATCH, MULTI, EXEC), retried when
another server changed the lock in between. A lock holds the conversation id and ticket numbers only,
is deleted when its last ticket is done, and expires by itself if a server dies while holding it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
KEY_EXPIRY_S = max(2 * int(LOCK_LIFETIME), 120)  # a lock left by a server that died goes away by itself
_DELETE = object()


class AtomicRedisLockStore(RedisLockStore):
    """`lock_store: type: stores.redis_lock.AtomicRedisLockStore`, with the settings of Rasa's
    `type: redis` (url, port, db, password, key_prefix, use_ssl…)."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **settings: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            settings = {**endpoint_config.kwargs, "host": endpoint_config.url or "localhost"}
        super().__init__(**settings)

    def _change(self, conversation_id: str, change: Callable[[TicketLock | None], tuple[Any, T]]) -> T:
        """Applies `change` to the stored lock atomically. `change` returns (what to write: a lock,
        `_DELETE` or None for nothing, result)."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is _DELETE:
                        pipe.delete(key)
                    elif new is not None:
                        pipe.set(key, new.dumps(), ex=KEY_EXPIRY_S)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another server changed the lock: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # as Rasa's LockStore.issue_ticket
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finishes the ticket, and deletes the lock if no one else holds a ticket, in one step."""

        def finish_and_delete(lock: TicketLock | None) -> tuple[object, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else _DELETE), None

        self._change(conversation_id, finish_and_delete)
