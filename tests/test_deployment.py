"""The deployment files: valid for Compose v1 (Debian's docker-compose) and consistent with CI."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
# What scripts/deploy_secrets.sh writes into .env, for the tests (recognisable in the resolved file).
SECRETS = {"ELASTIC_PASSWORD": "test-elastic-password-0123456789", "REDIS_PASSWORD": "test-redis-password-0123456789",
           "SECRET_KEY": "test-secret-key-0123456789-abcdefgh", "DIRECTORY_API_TOKEN": "test-directory-token-0123456789-ab"}
ASSISTANT_SERVICES = ("rasa", "rasa-2", "rasa-actions", "redis")


def run_compose(*options: str, quiet: bool = False, secrets: dict[str, str] | None = None,
                **variables: str) -> subprocess.CompletedProcess:
    """docker-compose config in a known environment: no .env of this checkout (an empty one), none
    of the caller's deployment variables, the given secrets (SECRETS by default)."""
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose manquant : `make test` l'installe (paquet Debian docker-compose)"
    inherited = ("ASSISTANT_ENDPOINTS", "ASSISTANT_URL", *SECRETS)
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    with tempfile.TemporaryDirectory() as directory:
        empty = Path(directory) / ".env"
        empty.touch()  # docker-compose wants a file, /dev/null is refused
        return subprocess.run(
            [docker_compose, "--env-file", str(empty), *options, "-f", "docker-compose.yml", "config",
             *(["-q"] if quiet else [])],
            cwd=REPO, capture_output=True, text=True,
            env={**env, **(SECRETS if secrets is None else secrets), **variables},
        )


def test_should_be_a_valid_compose_file():
    for options in ((), ("--profile", "scale")):
        result = run_compose(*options, quiet=True)
        assert result.returncode == 0, result.stderr


def resolved_compose(*options: str, **variables: str) -> dict:
    """The compose file as docker-compose resolves it (variables, profiles), in a known environment."""
    result = run_compose(*options, **variables)
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
    assert not re.search(r"(?i)(password|api_key)=[^$\s]", text)
    # No default for a secret, not even an empty one: `${NAME:?message}` only.
    for name in ("ELASTIC_PASSWORD", "REDIS_PASSWORD", "ELASTICSEARCH_API_KEY"):
        assert not re.search(r"\$\{" + name + r":?-", text), f"{name} a une valeur par défaut"
    assert ".env" in (REPO / ".dockerignore").read_text().split()  # secrets never sent to a build


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
        assert "assistant" in service["networks"]["chat"]["aliases"]
        assert service["environment"]["REDIS_HOST"] == "redis"
        assert service["environment"]["ACTION_ENDPOINT_URL"] == "http://rasa-actions:5055/webhook"
    assert "redis" in scale["rasa-2"]["depends_on"]
    # Redis keeps nothing on disk and is reachable on the compose network only.
    redis = scale["redis"]
    command = " ".join(redis["command"])
    assert "--save ''" in command and "--appendonly no" in command
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


# -- secure by default --------------------------------------------------------------------------------
def all_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *all_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    return [str(value)]


def test_should_always_run_elasticsearch_with_security_on():
    raw = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["elasticsearch"]
    assert "xpack.security.enabled=true" in raw["environment"]  # literally: no variable, no fallback to false
    assert "ELASTIC_SECURITY" not in (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    elasticsearch = resolved_compose()["services"]["elasticsearch"]
    assert elasticsearch["environment"]["xpack.security.enabled"] == "true"
    assert elasticsearch["environment"]["ELASTIC_PASSWORD"] == SECRETS["ELASTIC_PASSWORD"]
    # HTTP without TLS, on purpose (docs/deployment.md): only reachable on the `search` network and loopback.
    assert elasticsearch["environment"]["xpack.security.http.ssl.enabled"] == "false"
    assert all(port.startswith("127.0.0.1:") for port in elasticsearch["ports"])
    # The healthcheck authenticates (a 401 fails it), the password given to curl on stdin.
    check = " ".join(elasticsearch["healthcheck"]["test"])
    assert "$$ELASTIC_PASSWORD" in check and "-K -" in check and "curl -fsS" in check


@pytest.mark.parametrize("missing", ["ELASTIC_PASSWORD", "REDIS_PASSWORD", "SECRET_KEY", "DIRECTORY_API_TOKEN"])
@pytest.mark.parametrize("value", [None, ""])
def test_should_refuse_to_start_without_each_secret(missing, value):
    secrets = {k: v for k, v in SECRETS.items() if k != missing}
    if value is not None:
        secrets[missing] = value
    result = run_compose(quiet=True, secrets=secrets)
    assert result.returncode != 0
    assert f"{missing} manquant" in result.stderr and "scripts/deploy_secrets.sh" in result.stderr


def test_should_give_the_api_its_own_key_and_not_the_elastic_password():
    services = resolved_compose()["services"]
    api, setup = services["directory-api"], services["elasticsearch-setup"]
    # The elastic password: Elasticsearch and the one-shot setup only, nowhere in the API's service.
    assert SECRETS["ELASTIC_PASSWORD"] not in " ".join(all_strings(api))
    assert not {"ELASTIC_PASSWORD", "ELASTICSEARCH_API_KEY"} & set(api["environment"])
    assert "@" not in api["environment"]["ELASTICSEARCH_URL"]  # no user:password in the URL either
    assert setup["environment"]["ELASTIC_PASSWORD"] == SECRETS["ELASTIC_PASSWORD"]
    # The key: created by the setup into a volume, read-only for the API, read into its server's environment.
    key_file = setup["environment"]["API_KEY_FILE"]
    key_dir = str(Path(key_file).parent)
    assert f"elasticsearch-api-key:{key_dir}:ro" in api["volumes"]
    assert f"elasticsearch-api-key:{key_dir}:rw" in setup["volumes"]
    assert f"ELASTICSEARCH_API_KEY=$$(cat {key_file}) || exit 1" in api["command"][2]
    assert api["command"][-7:] == ["directory", "serve", "--host", "0.0.0.0", "--port", "8000", "--ensure-index"]
    assert api["depends_on"]["elasticsearch-setup"]["condition"] == "service_completed_successfully"
    assert setup["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert setup["restart"] == "no" and "ports" not in setup
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert f"--uid {setup['environment']['API_KEY_OWNER']} directory" in dockerfile  # the key's owner is the API
    assert setup["entrypoint"][-1] == "elasticsearch-api-key"
    assert "./scripts/deploy_secrets.sh" in " ".join(
        yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["elasticsearch-setup"]["volumes"])


def test_should_limit_the_api_key_to_the_directory_indices():
    script = (REPO / "scripts" / "deploy_secrets.sh").read_text(encoding="utf-8")
    descriptors = json.loads(re.search(r"^ROLE_DESCRIPTORS='(.*)'$", script, re.M).group(1))
    (role,) = descriptors.values()
    assert role["cluster"] == ["monitor"]  # cluster health for /health; no manage*, no security privilege
    assert set(role) <= {"cluster", "indices"}  # no applications, run_as, remote indices
    (indices,) = role["indices"]
    assert sorted(indices["names"]) == ["directory", "directory-*"]  # the alias and its versioned indices
    assert set(indices["privileges"]) == {"create_index", "read", "write", "manage"}
    assert indices.get("allow_restricted_indices") is False


def test_should_require_a_redis_password():
    services = resolved_compose("--profile", "scale", ASSISTANT_ENDPOINTS="endpoints.scale.yml")["services"]
    redis = services["redis"]
    command = " ".join(redis["command"])
    assert "redis-server -" in command and "requirepass $$REDIS_PASSWORD" in command  # config from stdin
    assert SECRETS["REDIS_PASSWORD"] not in command  # expanded in the container, not in its configuration
    assert redis["environment"]["REDIS_PASSWORD"] == SECRETS["REDIS_PASSWORD"]
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])
    for name in ("rasa", "rasa-2"):
        assert services[name]["environment"]["REDIS_PASSWORD"] == SECRETS["REDIS_PASSWORD"]
    endpoints = yaml.safe_load((REPO / "bot" / "endpoints.scale.yml").read_text(encoding="utf-8"))
    for store in ("lock_store", "tracker_store"):
        assert endpoints[store]["password"] == "${REDIS_PASSWORD}"


def test_should_keep_the_assistant_off_the_elasticsearch_network():
    services = resolved_compose("--profile", "scale")["services"]
    networks = {name: set(service.get("networks", {"default": None})) for name, service in services.items()}
    assert "default" not in set().union(*networks.values())  # every service says where it is
    for name in ASSISTANT_SERVICES:
        assert not networks[name] & networks["elasticsearch"], f"{name} atteint Elasticsearch"
    assert networks["elasticsearch"] & networks["directory-api"] & networks["elasticsearch-setup"]
    # The assistant still reaches the API, the API reaches the assistant, Rasa reaches its actions and Redis.
    for name in ("rasa-actions", "rasa", "rasa-2"):
        assert networks[name] & networks["directory-api"]
    assert networks["rasa"] & networks["rasa-actions"] and networks["rasa-2"] & networks["rasa-actions"]
    assert networks["redis"] & networks["rasa"] and networks["redis"] & networks["rasa-2"]
    assert not networks["redis"] & networks["directory-api"]  # only the Rasa servers talk to Redis
    for service in services.values():  # still loopback only, the new service included
        assert all(port.startswith("127.0.0.1:") for port in service.get("ports", []))


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "bot/Dockerfile"])
def test_should_keep_the_code_read_only_for_the_runtime_user(dockerfile):
    """Read, not built (no Docker engine here): no recursive chown, nothing of the code given to the user."""
    text = (REPO / dockerfile).read_text(encoding="utf-8")
    instructions = re.sub(r"\\\n", " ", text)
    users = re.findall(r"^USER (\S+)", instructions, re.M)
    assert users and users[-1] not in ("root", "0")
    assert not re.search(r"chown\s+-R|chown\s+--recursive", instructions)
    assert "--chown" not in instructions and "--chmod" not in instructions
    for chown in re.findall(r"chown\s+([^&;\n]+)", instructions):
        owner, *paths = chown.split()
        assert paths and all(path.startswith("/app/var") for path in paths), chown  # writable data only
    after_user = instructions[instructions.rindex("\nUSER "):]
    assert not re.search(r"^(COPY|ADD|RUN) ", after_user, re.M)  # everything above is root's
    assert "chmod o-w" in instructions  # even if the checkout's files were world-writable


def run_deploy_secrets(env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(REPO / "scripts" / "deploy_secrets.sh")], capture_output=True, text=True,
                          env={**os.environ, "ENV_FILE": str(env_file)}, check=True)


def read_env(env_file: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)


def test_should_write_random_secrets_once_into_a_private_env_file(tmp_path):
    env_file = tmp_path / ".env"
    run_deploy_secrets(env_file)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    first = read_env(env_file)
    assert set(first) == set(SECRETS)  # everything docker-compose.yml requires
    assert all(re.fullmatch(r"[A-Za-z0-9]{32}", value) for value in first.values())
    assert len(set(first.values())) == len(first)
    run_deploy_secrets(env_file)  # again: nothing changes
    assert read_env(env_file) == first
    other = tmp_path / "other.env"
    run_deploy_secrets(other)
    assert not set(read_env(other).values()) & set(first.values())  # drawn at random, not a default
    # A value already there (even chosen by hand) is kept; the missing one is added, on its own line.
    kept = tmp_path / "kept.env"
    kept.write_text("WEB_CONCURRENCY=4\nELASTIC_PASSWORD=mine", encoding="utf-8")
    kept.chmod(0o644)
    run_deploy_secrets(kept)
    values = read_env(kept)
    assert values["ELASTIC_PASSWORD"] == "mine" and values["WEB_CONCURRENCY"] == "4"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", values["REDIS_PASSWORD"])
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # And docker-compose starts with that file alone.
    result = subprocess.run(
        [shutil.which("docker-compose") or "docker-compose", "--env-file", str(env_file), "-f", "docker-compose.yml",
         "config", "-q"], cwd=REPO, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k not in SECRETS},
    )
    assert result.returncode == 0, result.stderr


def test_the_nightly_refresh_shares_the_data_with_the_api_and_takes_the_token_from_the_environment():
    compose = resolved_compose("--profile", "refresh", DATA_INCLUSION_TOKEN="jeton-du-test")
    refresh, api = compose["services"]["directory-refresh"], compose["services"]["directory-api"]
    assert "directory-data:/app/data:rw" in refresh["volumes"] and "directory-data:/app/data:rw" in api["volumes"]
    command = " ".join(refresh["command"])
    assert "directory fetch" in command and "-eq 3" in command and "directory build-index" in command
    environment = refresh["environment"]
    token = environment.get("DATA_INCLUSION_TOKEN") if isinstance(environment, dict) else next(
        e.split("=", 1)[1] for e in environment if e.startswith("DATA_INCLUSION_TOKEN=")
    )
    assert token == "jeton-du-test"
    assert "jeton" not in (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    timer = (REPO / "deploy" / "systemd" / "directory-refresh.service").read_text(encoding="utf-8")
    assert "SuccessExitStatus=3" in timer and "--profile refresh run --rm directory-refresh" in timer
