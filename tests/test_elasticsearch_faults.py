"""Elasticsearch down or slow: the API answers 503 in French within its timeout, /health says so,
and it recovers by itself when the engine answers again.

A small TCP relay in front of the real Elasticsearch injects the faults: it forwards, refuses, or
accepts and stays silent (a hung engine).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from directory_api.api.app import create_app
from directory_api.models import Provenance, Service, Structure
from directory_api.search.elastic import ElasticsearchBackend
from directory_api.settings import Settings

TIMEOUT_S = 1.0


class FaultyRelay:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"  # forward | refuse | hang
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
            elif self.mode == "hang":
                self._held.append(client)
            else:
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        """Forward while in `forward` mode; on a fault, kept-alive connections break or go silent too."""
        try:
            while data := source.recv(65536):
                if self.mode == "refuse":
                    break
                if self.mode == "hang":
                    continue  # swallow: the client waits for an answer that never comes
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()
        for held in self._held:
            held.close()


@pytest.fixture(scope="module")
def relay_client(elasticsearch_url):
    parsed = urlparse(elasticsearch_url)
    alias = f"test-faults-{uuid.uuid4().hex[:8]}"
    loader = ElasticsearchBackend(elasticsearch_url, alias, timeout_s=30)
    loader.bulk_load([
        Structure(
            id="faults-1", name="Bains-douches test", lat=48.85, lon=2.35, department="75",
            services=[Service(id="faults-1-a", name="Douche", categories=["shower"])],
            sources=[Provenance(source="test", source_record_id="1", licence="Licence Ouverte 2.0", data_date="2025-01-01")],
        )
    ])
    relay = FaultyRelay((parsed.hostname, parsed.port))
    settings = Settings(
        search_backend="elasticsearch", elasticsearch_url=f"http://127.0.0.1:{relay.port}",
        elasticsearch_index=alias, elasticsearch_timeout_s=TIMEOUT_S, elasticsearch_retries=0,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield relay, client
    relay.close()
    loader.client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)


def timed_get(client, path, **params):
    started = time.monotonic()
    response = client.get(path, params=params)
    return response, time.monotonic() - started


@pytest.mark.parametrize("fault", ["refuse", "hang"])
def test_should_answer_503_in_french_within_the_timeout_then_recover(relay_client, fault):
    relay, client = relay_client
    relay.mode = "forward"
    assert client.get("/structures", params={"category": "shower"}).json()["total"] == 1

    relay.mode = fault
    response, elapsed = timed_get(client, "/structures", category="shower")
    assert response.status_code == 503
    assert "momentanément indisponible" in response.json()["detail"]
    assert response.headers["retry-after"] == "5"
    assert elapsed < TIMEOUT_S * 3 + 1
    health = client.get("/health")
    assert health.status_code == 503
    body = health.json()
    assert {k: body[k] for k in ("status", "backend", "engine", "structures")} == {"status": "degraded", "backend": "elasticsearch", "engine": "down", "structures": None}
    assert body["sources"]["finess-etablissements-idf"]["data_date"]  # the sources' state, even when the engine is down
    assert client.get("/structures/faults-1").status_code == 503

    relay.mode = "forward"
    assert client.get("/structures", params={"category": "shower"}).json()["total"] == 1
    assert client.get("/health").json()["engine"] == "up"


def test_should_not_retry_a_timeout_when_there_is_no_other_node(relay_client):
    """A hung single node: retrying the timeout on the same node doubled the wait (2 × 2 s by default)."""
    relay, _ = relay_client
    timeout_s = 2.0
    settings = Settings(
        search_backend="elasticsearch", elasticsearch_url=f"http://127.0.0.1:{relay.port}",
        elasticsearch_timeout_s=timeout_s, elasticsearch_retries=1,
    )
    relay.mode = "hang"
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            response, elapsed = timed_get(client, "/structures", category="shower")
    finally:
        relay.mode = "forward"
    assert response.status_code == 503
    assert "momentanément indisponible" in response.json()["detail"]
    assert timeout_s <= elapsed < timeout_s * 1.75  # one timeout, not one per attempt
