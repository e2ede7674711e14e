"""Protection against abuse and overload, for every route: a request body limit, per-client rate limits
shared by the server processes, and caps on the requests in progress. Every refusal is in French: 413
for a body too large, 429 with `Retry-After` for a client over its limit or a server at its cap.

Who is « a client »: the address of the connection, or the one a trusted reverse proxy gives
(`FORWARDED_ALLOW_IPS`, none by default: `directory serve`), never a header anyone can write. The
address is only used as an HMAC under the server's secret (`secrets.server_secret`): it is never
written nor logged. The assistant's action server, which searches for every person talking to the
assistant from one address, presents the directory's key (`DIRECTORY_API_TOKEN`) and is not limited
per client.

The counts live in a store the workers share (`limits`): a SQLite file by default
(`SQLiteStorage` below), or Redis when `RATE_LIMIT_STORAGE` is a `redis://` URL (several machines).
The caps on requests in progress are per server process: they keep a core free for searches.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest legitimate body is a report (2,000 characters and a contact) or a chat message (2,000
# characters), a few kB even as JSON escapes; the reverse proxy should refuse above the same size.
MAX_BODY_BYTES = 64 * 1024
TOKEN_HEADER = "x-directory-token"


@dataclass(frozen=True)
class Policy:
    """What one client may do with one kind of request."""

    rate: str  # `limits` notation, counted per client across the server processes
    client_in_flight: int | None = None  # requests of one client in progress at once (per process)
    in_flight: int | None = None  # requests of this kind in progress at once (per process)
    wait_s: float = 0.0  # how long a request waits for a free place before being refused


# Declared once; `kind_of` says which routes each one covers. A social worker's page makes a search per
# click; an export costs a few hundred milliseconds of CPU and megabytes; a chat message costs the
# assistant's work; reports and the review list are rare by nature.
POLICIES: dict[str, Policy] = {
    "search": Policy("600/minute"),
    "export": Policy("12/minute", client_in_flight=1, in_flight=1, wait_s=10.0),
    "chat": Policy("40/minute", client_in_flight=2, in_flight=16, wait_s=5.0),
    "review": Policy("30/10 minutes"),
}
EXPORT_SUFFIXES = (".csv", ".geojson", ".json")


def kind_of(method: str, path: str) -> str | None:
    """The policy of a request; None for what costs nothing (static files, health) and for reports,
    which are counted where they are stored (`web/reports.py`), so that the form can answer in its page."""
    if path.startswith("/static/") or path in ("/health", "/favicon.ico"):
        return None
    if method == "POST" and (path.endswith("/reports") or path.endswith("/signaler")):
        return None
    if path == "/reports":
        return "review"
    if path == "/chat/messages":
        return "chat"
    if path.startswith("/exports/") or (path.endswith(EXPORT_SUFFIXES) and path != "/openapi.json"):
        return "export"
    return "search"


# -- the shared store ------------------------------------------------------------------------------
class SQLiteStorage(Storage):
    """A `limits` store in a SQLite file, shared by the server processes of one machine: one row per
    (limit, client) with its count and the end of its window. `sqlite:///var/limits.sqlite`."""

    STORAGE_SCHEME = ["sqlite"]
    PURGE_EVERY = 500  # writes between two deletions of the expired rows

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(urlsplit(uri).path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._writes = 0
        with self._connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL)")
        self.path.chmod(0o600)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # a count lost in a power cut is harmless
            conn.execute("PRAGMA secure_delete=ON")  # expired client hashes are overwritten
            self._local.conn = conn
        return conn

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        conn = self._connection()
        (count,) = conn.execute(
            "INSERT INTO hits (key, count, expires) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN expires <= ?4 THEN ?2 ELSE count + ?2 END,"
            " expires = CASE WHEN expires <= ?4 THEN ?3 ELSE expires END RETURNING count",
            (key, amount, now + expiry, now),
        ).fetchone()
        self._writes += 1
        if self._writes % self.PURGE_EVERY == 0:
            conn.execute("DELETE FROM hits WHERE expires <= ?", (now,))
        return int(count)

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT count FROM hits WHERE key = ? AND expires > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute("SELECT expires FROM hits WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        (count,) = self._connection().execute("SELECT COUNT(*) FROM hits").fetchone()
        self._connection().execute("DELETE FROM hits")
        return int(count)

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM hits WHERE key = ?", (key,))


# -- the limiter -----------------------------------------------------------------------------------
class ClientLimiter:
    """Per-client counts (`limits`, fixed window from the first hit) under an HMAC of the address."""

    def __init__(self, storage_url: str, secret: bytes, rates: dict[str, str]) -> None:
        self.storage = storage_from_string(storage_url)
        self.strategy = FixedWindowRateLimiter(self.storage)
        self.items: dict[str, RateLimitItem] = {kind: parse(rate) for kind, rate in rates.items()}
        self._secret = secret

    def client_key(self, address: str) -> str:
        return hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()[:32]

    def hit(self, kind: str, address: str) -> float | None:
        """Counts one request; None when allowed, else the seconds until the client may try again.
        A store that fails lets the request through (logged by kind): counting must not stop the service."""
        item, key = self.items[kind], self.client_key(address)
        try:
            if self.strategy.hit(item, kind, key):
                return None
            return max(1.0, self.strategy.get_window_stats(item, kind, key).reset_time - time.time())
        except Exception as error:  # noqa: BLE001 — any store error (SQLite, Redis) must not become a 500
            logger.warning("compteur de requêtes indisponible (%s)", type(error).__name__)
            return None


# -- the answers -----------------------------------------------------------------------------------
TOO_LARGE = f"Requête trop volumineuse : au plus {MAX_BODY_BYTES // 1024} Ko."
TOO_MANY = {
    "search": "Trop de recherches depuis cette connexion en peu de temps.",
    "export": "Trop d'exports depuis cette connexion en peu de temps.",
    "chat": "Trop de messages envoyés en peu de temps.",
    "review": "Trop de consultations des signalements en peu de temps.",
}
BUSY = "Le serveur est très sollicité pour ce type de demande."
EMERGENCY = "En cas d'urgence, appelez le 112, le 15 (SAMU), le 115 (hébergement) ou le 3919 (violences)."


def _retry_text(wait_s: float) -> str:
    if wait_s < 90:
        seconds = math.ceil(wait_s)
        return f"Réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}."
    minutes = math.ceil(wait_s / 60)
    return f"Réessayez dans {minutes} minutes."


async def _refuse(scope: Scope, send: Send, status: int, detail: str, retry_after: float | None = None) -> None:
    import json

    headers = [(b"content-type", b"application/json")]
    if retry_after is not None:
        headers.append((b"retry-after", str(math.ceil(retry_after)).encode()))
    wants_page = b"text/html" in dict(scope.get("headers") or []).get(b"accept", b"")
    if wants_page:
        from html import escape

        body = (
            '<!doctype html><html lang="fr"><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width, initial-scale=1"><title>Patientez un instant</title>'
            f"<main><h1>Patientez un instant</h1><p>{escape(detail)}</p><p>{escape(EMERGENCY)}</p>"
            '<p><a href="/">Retour à la recherche</a></p></main></html>'
        ).encode()
        headers[0] = (b"content-type", b"text/html; charset=utf-8")
    else:
        body = json.dumps({"detail": detail, "errors": []}, ensure_ascii=False).encode()
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The request body, read up to the limit; True when it goes beyond."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        size += len(message.get("body", b""))
        if size > MAX_BODY_BYTES:
            return messages, True
        if not message.get("more_body", False):
            return messages, False


class Protection:
    """The ASGI middleware: body limit, then the client's rate limit, then the caps in progress."""

    def __init__(self, app: ASGIApp, limiter: ClientLimiter | None, trusted_token: str | None) -> None:
        self.app = app
        self.limiter = limiter
        self.trusted_token = trusted_token.encode() if trusted_token else None
        self.in_flight: Counter[str] = Counter()  # per kind, in this process (one event loop)
        self.client_in_flight: Counter[tuple[str, str]] = Counter()

    def _trusted(self, scope: Scope) -> bool:
        if self.trusted_token is None:
            return False
        given = dict(scope.get("headers") or []).get(TOKEN_HEADER.encode(), b"")
        return hmac.compare_digest(given, self.trusted_token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            await _refuse(scope, send, 413, TOO_LARGE)
            return
        if int(declared) or b"transfer-encoding" in headers:
            messages, too_large = await _read_body(receive)
            if too_large:
                await _refuse(scope, send, 413, TOO_LARGE)
                return
            receive = _replay(messages, receive)

        kind = kind_of(scope["method"], scope["path"])
        if kind is None or self.limiter is None or self._trusted(scope):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("inconnu", 0))[0]
        wait = self.limiter.hit(kind, address)
        if wait is not None:
            await _refuse(scope, send, 429, f"{TOO_MANY[kind]} {_retry_text(wait)}", wait)
            return
        policy = POLICIES[kind]
        client = (kind, self.limiter.client_key(address))
        if policy.client_in_flight is not None and self.client_in_flight[client] >= policy.client_in_flight:
            await _refuse(scope, send, 429, f"{TOO_MANY[kind]} Attendez la réponse précédente.", 2)
            return
        if not await self._place(kind, policy):
            await _refuse(scope, send, 429, f"{BUSY} {_retry_text(5)}", 5)
            return
        self.client_in_flight[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[kind] -= 1
            self.client_in_flight[client] -= 1
            if not self.client_in_flight[client]:
                del self.client_in_flight[client]

    async def _place(self, kind: str, policy: Policy) -> bool:
        """Takes a place among the requests of this kind in progress, waiting up to `policy.wait_s`."""
        import anyio

        deadline = time.monotonic() + policy.wait_s
        while policy.in_flight is not None and self.in_flight[kind] >= policy.in_flight:
            if time.monotonic() >= deadline:
                return False
            await anyio.sleep(0.05)
        self.in_flight[kind] += 1
        return True


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
