"""Real servers for the assistant's tests (see local_servers.py), started once per session; their logs
are kept to check that no message text is written."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from local_servers import BOT_DIR, Server, start_action_server, start_directory_api, start_rasa_server


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def directory_api(tmp_path_factory, server_logs) -> Iterator[Server]:
    server = start_directory_api(tmp_path_factory.mktemp("index") / "directory.sqlite", server_logs)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def directory_env(directory_api) -> Iterator[str]:
    """Points the actions (run in this process) at the test API."""
    previous = os.environ.get("DIRECTORY_API_URL")
    os.environ["DIRECTORY_API_URL"] = directory_api.url
    yield directory_api.url
    if previous is None:
        os.environ.pop("DIRECTORY_API_URL", None)
    else:
        os.environ["DIRECTORY_API_URL"] = previous


@pytest.fixture(scope="session")
def action_server(directory_api, server_logs) -> Iterator[Server]:
    server = start_action_server(directory_api.url, server_logs)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(request, server_logs) -> Iterator[Server]:
    # While developing: TEST_RASA_URL points the conversation tests at servers already running.
    if os.environ.get("TEST_RASA_URL"):
        yield type("Running", (), {"url": os.environ["TEST_RASA_URL"]})()
        return
    action_server = request.getfixturevalue("action_server")
    try:
        server = start_rasa_server(action_server.url, server_logs)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(BOT_DIR / "domain"))


def realistic_tracker(domain: Domain, sender: str) -> DialogueStateTracker:
    """A need asked for, the place given, as Rasa records them (texts and values with a marker)."""
    parse_data = {
        "intent": {"name": "search_service", "confidence": 0.93},
        "entities": [{"entity": "need", "value": "ivg", "start": 32, "end": 35, "extractor": "DIETClassifier",
                      "confidence_entity": 0.9}],
        "intent_ranking": [{"name": "search_service", "confidence": 0.93}, {"name": "inform", "confidence": 0.05}],
        "text": "je suis enceinte de Vossperine, ivg",
        "metadata": {"note": "Vossperine"},
    }
    events = [
        ActionExecuted("action_session_start"),
        ActionExecuted("action_listen"),
        UserUttered("je suis enceinte de Vossperine, ivg", parse_data["intent"], parse_data["entities"], parse_data,
                    input_channel="rest", message_id="m1", metadata={"note": "Vossperine"}),
        DefinePrevUserUtteredFeaturization(False),
        SlotSet("need", "ivg"),
        ActionExecuted("search_form"),
        ActiveLoop("search_form"),
        SlotSet("categories", ["abortion"]),
        SlotSet("need_label", "IVG"),
        SlotSet("requested_slot", "place"),
        BotUttered("Où êtes-vous ? (Vossperine)", {"buttons": [{"title": "Vossperine", "payload": "/inform"}]},
                   {"utter_action": "utter_ask_place"}),
        ActionExecuted("action_listen"),
        UserUttered("a montreuil chez Vossperine", {"name": "inform", "confidence": 0.88},
                    [{"entity": "place", "value": "montreuil chez Vossperine", "start": 2, "end": 27}],
                    input_channel="rest", message_id="m2"),
        DefinePrevUserUtteredFeaturization(False),
        SlotSet("place", "montreuil chez Vossperine"),
        SlotSet("place_label", "Montreuil (93)"),
        SlotSet("lat", 48.86),
        SlotSet("lon", 2.44),
        SlotSet("age", "16"),
    ]
    return DialogueStateTracker.from_events(sender, events, slots=domain.slots)


# -- replies of the REST channel ---------------------------------------------------------------------
def text_of(replies: list[dict]) -> str:
    return "\n".join(r["text"] for r in replies if r.get("text"))


def payload_of(replies: list[dict]) -> dict | None:
    return next((r["custom"] for r in replies if r.get("custom")), None)
