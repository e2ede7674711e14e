"""HTTP from the publishers: conditional requests, retries with backoff, a progress bar, French errors.

One `httpx.Client` per fetch run. A publisher URL can be redirected to a local mirror (`FETCH_MIRROR`,
e.g. an internal proxy, or the test suite's publisher server): `https://host/path` → `{mirror}/host/path`.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from tqdm import tqdm

USER_AGENT = "annuaire-orientation-idf (directory fetch)"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRIES = 3  # after the first attempt, on a connection error, a timeout, 429 or 5xx
BACKOFF_S = 1.0  # 1 s, 2 s, 4 s… unless the publisher says Retry-After
MAX_RETRY_AFTER_S = 120.0  # a longer wait is a failure for this run, not a reason to hang


class PublisherError(Exception):
    """A publisher that could not give its data; the message, in French, says why."""


@dataclass(frozen=True)
class Validators:
    """What a previous download said about the file, sent back to get « 304 Not Modified »."""

    etag: str | None = None
    last_modified: str | None = None
    # The publisher's own version stamp from its metadata (Opendatasoft `data_processed`): Opendatasoft
    # does not document ETag on exports, so an unchanged stamp is the way not to download again.
    version: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Download:
    url: str
    content: bytes | None  # None: not modified since the validators
    validators: Validators
    sha256: str | None


class Publishers:
    """The HTTP client of a fetch run."""

    def __init__(self, mirror: str | None = None, *, data_inclusion_token: str | None = None, sleep: bool = True) -> None:
        self.data_inclusion_token = data_inclusion_token  # never logged, never written
        self.mirror = mirror.rstrip("/") if mirror else None
        self.client = httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True)
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Publishers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resolve(self, url: str) -> str:
        if not self.mirror:
            return url
        parsed = httpx.URL(url)
        return f"{self.mirror}/{parsed.host}{parsed.raw_path.decode('ascii')}"

    def get_json(self, url: str, headers: dict[str, str] | None = None, params: dict[str, object] | None = None) -> object:
        _, body = self.request(url, headers=headers, params=params)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise PublisherError(f"réponse illisible de {httpx.URL(url).host} (JSON attendu) : {exc}") from exc

    def download(self, url: str, validators: Validators, label: str) -> Download:
        """The file at `url`, or `content=None` when the publisher says it has not changed."""
        response, body = self.request(url, headers=validators.headers(), label=label)
        if response.status_code == 304:
            return Download(url, None, validators, None)
        new_validators = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
        return Download(url, body, new_validators, hashlib.sha256(body).hexdigest())

    def request(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, object] | None = None,
        label: str | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """The response and its body; retried on what may pass (network, timeout, 429, 5xx)."""
        target = self.resolve(url)
        host = httpx.URL(url).host
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                response, body = self._get(target, headers or {}, params, label)
            except httpx.RemoteProtocolError as exc:  # the connection closed before the announced length
                if last:
                    raise PublisherError(f"{host} : fichier tronqué (connexion coupée avant la fin) après {RETRIES + 1} essais") from exc
                self._wait(attempt, None)
                continue
            except httpx.TimeoutException as exc:
                if last:
                    raise PublisherError(f"{host} ne répond pas (délai dépassé après {RETRIES + 1} essais)") from exc
                self._wait(attempt, None)
                continue
            except httpx.TransportError as exc:
                if last:
                    raise PublisherError(f"{host} injoignable après {RETRIES + 1} essais : {exc}") from exc
                self._wait(attempt, None)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if last:
                    raise PublisherError(f"{host} répond {status} après {RETRIES + 1} essais")
                self._wait(attempt, response.headers.get("Retry-After"))
                continue
            if status in (401, 403):
                raise PublisherError(f"{host} refuse l'accès ({status}) : jeton absent ou invalide ?")
            if status == 404:
                raise PublisherError(f"{host} : ressource introuvable (404), l'éditeur a-t-il déplacé le fichier ?")
            if status >= 400:
                raise PublisherError(f"{host} répond {status}")
            return response, body
        raise AssertionError("unreachable")

    def _get(
        self, url: str, headers: dict[str, str], params: dict[str, object] | None, label: str | None
    ) -> tuple[httpx.Response, bytes]:
        with self.client.stream("GET", url, headers=headers, params=params) as response:  # type: ignore[arg-type]
            if response.status_code != 200 or label is None:
                return response, response.read()
            total = response.headers.get("Content-Length")
            chunks: list[bytes] = []
            with tqdm(
                total=int(total) if total and total.isdigit() else None,
                desc=label, unit="o", unit_scale=True, leave=False, disable=None,
            ) as bar:
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    bar.update(len(chunk))
            return response, b"".join(chunks)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = BACKOFF_S * 2**attempt
        if retry_after:
            delay = max(delay, retry_after_seconds(retry_after))
        if delay > MAX_RETRY_AFTER_S:
            raise PublisherError(f"l'éditeur demande d'attendre {round(delay)} s : nouvel essai au prochain rafraîchissement")
        if self.sleep:
            time.sleep(delay)


def retry_after_seconds(value: str) -> float:
    """Retry-After as seconds (a number of seconds or an HTTP date)."""
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return BACKOFF_S
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
