"""Elasticsearch faults with real processes, under load against `directory serve`.

- A single node stopped while the API is busy: 503 in French within the timeout, then, once the node
  is restarted with its data (`scripts/elasticsearch.sh resume`), every answer is a 200 again and no
  document is missing.
- A three-node cluster, the index with one replica, the API knowing the three nodes: the elected master
  is SIGKILLed under load and no request fails, no document is lost.

The measuring code is `bench/es_faults.py` (the bench runs longer and reports figures).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from bench.es_faults import (
    ES_HOME,
    LoadRun,
    api_env,
    build_index,
    es_count,
    es_pid,
    es_script,
    ids_found,
    master_port,
    query_paths,
    restart_under_load,
    serve_api,
    wait_green,
)
from directory_api.importer import read_structures
from directory_api.search.elastic import ElasticsearchBackend, parse_hosts
from directory_api.settings import REPO_ROOT, Settings
from tests.servers import free_port

TIMEOUT_S = 2.0  # the API's default; the machine may be busy with other servers
HEAP = "256m"
# C1 only: the JVMs start in about 60 % of the time, and these tests measure no speed.
JAVA_OPTS = os.environ.get("ES_EXTRA_JAVA_OPTS", "-XX:TieredStopAtLevel=1")


# --- settings: several nodes, replicas --------------------------------------------------------

def test_should_accept_several_comma_separated_urls():
    settings = Settings(elasticsearch_url=" http://127.0.0.1:9201, http://127.0.0.1:9202 ,https://es.example:443")
    assert parse_hosts(settings.elasticsearch_url) == ["http://127.0.0.1:9201", "http://127.0.0.1:9202", "https://es.example:443"]
    backend = ElasticsearchBackend(settings.elasticsearch_url, timeout_s=1)
    try:
        assert len(backend.client.transport.node_pool.all()) == 3
        assert backend.client._retry_on_timeout  # a hung node: the retry goes to another one
    finally:
        backend.close()


@pytest.mark.parametrize("url", ["127.0.0.1:9200", "http://a:9200,,http://b:9200", "http://a:9200 http://b:9200", ""])
def test_should_refuse_a_malformed_url_list(url):
    with pytest.raises(ValidationError, match="elasticsearch_url"):
        Settings(elasticsearch_url=url)


def test_should_read_replicas_and_retries_from_the_environment(monkeypatch):
    assert Settings().elasticsearch_replicas == 0
    monkeypatch.setenv("ELASTICSEARCH_REPLICAS", "1")
    monkeypatch.setenv("ELASTICSEARCH_RETRIES", "2")
    monkeypatch.setenv("SEARCH_BACKEND", "elasticsearch")
    settings = Settings()
    backend = settings.make_backend()
    try:
        assert isinstance(backend, ElasticsearchBackend)
        assert backend.replicas == 1
        assert backend.client._max_retries == 2  # passed with each request, not kept by the transport
    finally:
        backend.close()
    with pytest.raises(ValidationError):
        Settings(elasticsearch_replicas=-1)


def test_should_not_retry_a_timeout_on_a_single_node():
    backend = ElasticsearchBackend("http://127.0.0.1:9200", timeout_s=1)
    try:
        assert not backend.client._retry_on_timeout
    finally:
        backend.close()


# --- real servers -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served() -> list:
    return list(read_structures(REPO_ROOT / "data" / "structures"))


def _stop_and_remove(command: str, ports: list[int], **env: str) -> None:
    """Stop the node(s), then remove their instance directories (new free ports at every run)."""
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "elasticsearch.sh"), command], env={**os.environ, **env}, check=False)
    for port in ports:
        shutil.rmtree(ES_HOME / f"instance-{port}", ignore_errors=True)


def test_should_answer_503_in_french_while_stopped_then_recover_with_its_data(served, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ES_EXTRA_JAVA_OPTS", JAVA_OPTS)  # for the start and the restart
    port = free_port()
    try:
        url = es_script("start", ES_PORT=str(port), ES_HEAP=HEAP)
        env = api_env(url, "restart", TIMEOUT_S)
        build_index(env)
        assert es_count(url, "restart") == len(served)
        with serve_api({**env, "ELASTICSEARCH_RETRIES": "1"}, tmp_path) as base:
            paths = query_paths(served, count=60)
            result, samples = restart_under_load(
                base, port, "restart", paths, mode="stop", heap=HEAP, timeout_s=TIMEOUT_S, retries=1,
                concurrency=3, before_s=3, down_s=3, after_s=4, warm_up_s=2,
            )
            health = httpx.get(f"{base}/health", timeout=10).json()
    finally:
        _stop_and_remove("stop", [port], ES_PORT=str(port))

    assert result.failed > 0, "the load never met the outage"
    assert set(result.statuses) == {"503"}, result.statuses
    assert result.all_503_french
    assert result.max_answer_while_down_s <= TIMEOUT_S + 2  # one timeout at most, plus the busy machine
    # Recovered by itself: the last answers are all 200, and the data came back with the node.
    assert result.first_200_after_healthy_s is not None
    assert [s.status for s in samples[-10:]] == [200] * 10
    assert result.documents_before == result.documents_after == len(served)
    assert health["engine"] == "up" and health["structures"] == len(served)


@pytest.fixture(scope="module")
def cluster():
    http_ports = [free_port() for _ in range(3)]
    transport_ports = [free_port() for _ in range(3)]
    env = {
        "ES_CLUSTER_PORTS": ",".join(map(str, http_ports)),
        "ES_CLUSTER_TRANSPORT_PORTS": ",".join(map(str, transport_ports)),
        "ES_HEAP": HEAP,
        "ES_EXTRA_JAVA_OPTS": JAVA_OPTS,
        "ES_START_TIMEOUT": "240",
    }
    try:
        urls = es_script("cluster-start", **env)
        yield http_ports, urls
    finally:
        _stop_and_remove("cluster-stop", http_ports, **env)


def test_should_lose_no_query_and_no_document_when_a_node_is_killed(cluster, served, tmp_path: Path):
    ports, urls = cluster
    assert urls.count(",") == 2
    # A generous timeout: a node killed refuses connections at once, so only a busy machine could time out.
    env = api_env(urls, "cluster", 5.0, replicas=1)
    build_index(env)
    nodes = urls.split(",")
    assert wait_green(nodes, 120) is not None, "the replica was never allocated"
    shards = httpx.get(f"{nodes[0]}/_cat/shards/cluster", params={"format": "json"}, timeout=10).json()
    assert sorted(s["prirep"] for s in shards) == ["p", "r"] and len({s["node"] for s in shards}) == 2

    with serve_api({**env, "ELASTICSEARCH_RETRIES": "1"}, tmp_path) as base:
        victim = master_port(nodes)
        with LoadRun(base, query_paths(served, count=60), concurrency=3) as load:
            time.sleep(3)
            os.kill(es_pid(victim), signal.SIGKILL)
            time.sleep(6)
        samples = load.samples

    survivors = [f"http://127.0.0.1:{p}" for p in ports if p != victim]
    failed = [s for s in samples if s.status != 200]
    assert len(samples) > 20
    assert failed == [], f"{len(failed)} failed of {len(samples)}"
    health = httpx.get(f"{survivors[0]}/_cluster/health", params={"master_timeout": "30s"}, timeout=40).json()
    assert health["number_of_nodes"] == 2 and health["status"] in ("yellow", "green")
    assert es_count(",".join(survivors), "cluster") == len(served)
    ids = [s.id for s in random.Random(1).sample(served, 300)]
    assert ids_found(survivors, "cluster", ids) == len(ids)
