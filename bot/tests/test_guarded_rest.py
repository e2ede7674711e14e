"""The guard of the REST channel: only our own well-formed commands skip understanding."""

from __future__ import annotations

import pytest

from channels.guarded_rest import INTENTS, guard


def test_should_know_the_intents_of_the_domain():
    assert {"search_service", "share_location", "inform"} <= INTENTS


@pytest.mark.parametrize(
    "command",
    [
        '/search_service{"need": "douche"}',
        '/share_location{"lat":48.8809,"lon":2.3553}',
        '/search_service{"need": "hébergement d\'urgence"}',
        "/restart",  # Rasa's own, sent by the chat's « Effacer » / « Quitter rapidement » (it forgets only its own conversation)
    ],
)
def test_should_pass_our_own_commands_untouched(command):
    assert guard(command) == command


@pytest.mark.parametrize(
    ("message", "understood_as"),
    [
        ("/inform{ mon copain me frappe", "inform{ mon copain me frappe"),
        ('/search_service{"need":"j\'ai envie de mourir"}', 'search_service{"need":"j\'ai envie de mourir"}'),
        ('/share_location{"lat":1e308,"lon":-1e308} mon copain me frappe', 'share_location{"lat":1e308,"lon":-1e308} mon copain me frappe'),
        ("/restart mon copain me frappe", "restart mon copain me frappe"),
        ('/share_location{"lat":"x","lon":[]}', 'share_location{"lat":"x","lon":[]}'),
        ("//", ""),
    ],
)
def test_should_pass_anything_else_as_text(message, understood_as):
    assert guard(message) == understood_as


def test_should_leave_ordinary_messages_alone():
    assert guard("je cherche une douche") == "je cherche une douche"
    assert guard("") == ""
    assert guard(None) is None
