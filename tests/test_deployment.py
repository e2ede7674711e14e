"""The deployment files: valid for Compose v1 (Debian's docker-compose) and consistent with CI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def test_should_be_a_valid_compose_file():
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose manquant : `make test` l'installe (paquet Debian docker-compose)"
    result = subprocess.run(
        [docker_compose, "-f", "docker-compose.yml", "config", "-q"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def resolved_compose(*options: str, **variables: str) -> dict:
    """The compose file as docker-compose resolves it (variables, profiles), in a known environment."""
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose manquant : `make test` l'installe (paquet Debian docker-compose)"
    env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_ENDPOINTS", "ASSISTANT_URL")}
    result = subprocess.run(
        [docker_compose, *options, "-f", "docker-compose.yml", "config"], cwd=REPO, capture_output=True, text=True,
        env={**env, **variables},
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_should_run_the_same_elasticsearch_version_as_ci():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    image = compose["services"]["elasticsearch"]["image"]
    script = (REPO / "scripts" / "elasticsearch.sh").read_text(encoding="utf-8")
    pinned = re.search(r'ES_VERSION:-([0-9.]+)', script)
    assert pinned, "version d'Elasticsearch introuvable dans scripts/elasticsearch.sh"
    assert image.endswith(f":{pinned.group(1)}")


def test_should_index_when_needed_before_serving_and_bind_to_loopback():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    api = services["directory-api"]
    assert api["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert "--ensure-index" in api["command"]
    for name in ("directory-api", "elasticsearch"):
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"])


def test_should_commit_no_credentials():
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert "ELASTIC_PASSWORD=${ELASTIC_PASSWORD:-}" in text
    assert not re.search(r"(?i)(password|api_key)=[^$\s]", text)


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "bot/Dockerfile"])
def test_should_have_in_the_build_context_everything_the_dockerfile_copies(dockerfile):
    ignored = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip()]
    for line in (REPO / dockerfile).read_text().splitlines():
        if line.startswith("COPY ") and not line.startswith("COPY --from="):  # --from: another stage
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
                assert source not in ignored, f"{source} est exclu par .dockerignore"


def test_should_run_the_assistant_beside_the_api_without_keeping_conversations():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    rasa, actions = services["rasa"], services["rasa-actions"]
    assert all(port.startswith("127.0.0.1:") for port in rasa["ports"])
    assert "ports" not in actions  # reached by the Rasa server on the compose network only
    compose_endpoints = yaml.safe_load((REPO / "bot" / "endpoints.compose.yml").read_text(encoding="utf-8"))
    assert compose_endpoints["action_endpoint"]["url"] == "http://rasa-actions:5055/webhook"
    assert resolved_compose()["services"]["rasa"]["command"][-1] == "endpoints.compose.yml"
    assert "DIRECTORY_API_URL=http://directory-api:8000" in actions["environment"]
    for name in ("endpoints.yml", "endpoints.compose.yml"):
        endpoints = yaml.safe_load((REPO / "bot" / name).read_text(encoding="utf-8"))
        # In this process's memory only, redacted and forgotten after 30 minutes (bot/stores/redacting_memory.py):
        # nothing written, no event broker.
        assert endpoints["tracker_store"] == {
            "type": "stores.redacting_memory.RedactingInMemoryTrackerStore", "record_exp": 1800,
        }
        assert "event_broker" not in endpoints


def test_should_share_conversations_between_two_assistants_with_the_scale_profile():
    raw = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    assert raw["redis"]["profiles"] == ["scale"] and raw["rasa-2"]["profiles"] == ["scale"]
    assert all(port.startswith("127.0.0.1:") for port in raw["rasa-2"]["ports"])
    # By default: one assistant, in memory, and the chat page talks to it.
    default = resolved_compose()["services"]
    assert default["rasa"]["command"][-1] == "endpoints.compose.yml"
    assert default["directory-api"]["environment"]["ASSISTANT_URL"] == "http://rasa:5005"
    # Profile `scale`: both servers on the shared endpoints, behind one network alias for the page.
    scale = resolved_compose("--profile", "scale", ASSISTANT_ENDPOINTS="endpoints.scale.yml",
                             ASSISTANT_URL="http://assistant:5005")["services"]
    assert scale["directory-api"]["environment"]["ASSISTANT_URL"] == "http://assistant:5005"
    for name in ("rasa", "rasa-2"):
        service = scale[name]
        assert service["command"][-1] == "endpoints.scale.yml"
        assert "assistant" in service["networks"]["default"]["aliases"]
        assert service["environment"]["REDIS_HOST"] == "redis"
        assert service["environment"]["ACTION_ENDPOINT_URL"] == "http://rasa-actions:5055/webhook"
    assert "redis" in scale["rasa-2"]["depends_on"]
    # Redis keeps nothing on disk and is reachable on the compose network only.
    redis = scale["redis"]
    command = redis["command"]
    assert command[command.index("--save") + 1] == "" and command[command.index("--appendonly") + 1] == "no"
    assert "ports" not in redis and "volumes" not in redis
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-alpine", redis["image"])
    # The scale endpoints: an atomic Redis lock store, and the redacting tracker store with a short expiry.
    endpoints = yaml.safe_load((REPO / "bot" / "endpoints.scale.yml").read_text(encoding="utf-8"))
    assert endpoints["lock_store"]["type"] == "stores.redis_lock.AtomicRedisLockStore"
    assert (REPO / "bot" / "stores" / "redis_lock.py").exists()
    store = endpoints["tracker_store"]
    assert store["type"] == "stores.redacting_redis.RedactingRedisTrackerStore"
    assert (REPO / "bot" / "stores" / "redacting_redis.py").exists()
    assert 0 < store["record_exp"] <= 1800
    variables = set(re.findall(r"\$\{(\w+)\}", (REPO / "bot" / "endpoints.scale.yml").read_text(encoding="utf-8")))
    assert variables <= set(scale["rasa"]["environment"]) & set(scale["rasa-2"]["environment"])
