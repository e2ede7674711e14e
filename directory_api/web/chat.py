"""The chat page (`GET /chat`) and its proxy to the assistant (`POST /chat/messages`).

The browser talks to one origin only (CSP `connect-src 'self'`): the proxy forwards each message to the
Rasa REST channel at `settings.assistant_url` + `/webhooks/rest/webhook` and nowhere else. The address is
fixed at start-up from the settings, never taken from the request; no redirect is followed and no proxy
from the environment is used, so the endpoint cannot be turned into a relay to another host.

Privacy: message text is never logged nor stored. The server's access log is off (`directory serve`),
the HTTP client is the standard library's `http.client` (it logs nothing), and errors are logged by kind
only. `httpx` is not used here because it is only a development dependency of the project (the
deployment image installs without it).

The endpoint is left out of the OpenAPI document (`include_in_schema=False`): it is the chat page's own
same-origin relay, whose shape follows the assistant's REST channel, not part of the directory's public
contract (`docs/openapi.json`); other clients talk to the assistant's REST channel directly.

The conversation: the server gives each browser a random key in a signed cookie (HttpOnly, so no
script can read it; SameSite=Strict, so no other site can post in its name), and tells the assistant
only an HMAC of that key. A conversation id seen in a log therefore cannot be used to read or continue
the conversation. « Effacer » and « Quitter rapidement » call `POST /chat/reset`: the assistant forgets
the conversation and the browser gets a new key.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import math
import re
import secrets
import time
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from directory_api.web import templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

WEBHOOK_PATH = "/webhooks/rest/webhook"
MAX_MESSAGE_CHARS = 2000
MAX_REPLY_BYTES = 512 * 1024  # a result list is a few kB; anything far bigger is not the assistant
COOKIE = "conversation"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
# Intents and entities of the assistant's domain (bot/domain/*.yml; a test keeps both lists equal). A
# message starting with "/" is a Rasa payload: only these intents, with these entities, are forwarded.
PAYLOAD_INTENTS = frozenset({
    "greet", "goodbye", "thank", "affirm", "deny", "ask_capabilities", "out_of_scope", "nlu_fallback",
    "crisis_suicide", "crisis_violence", "crisis_child", "crisis_medical", "crisis_cold",
    "search_service", "inform", "more_results", "share_location",
    "faq_ivg_limit", "faq_ivg_free", "faq_ivg_minor", "faq_emergency_contraception", "faq_free_contraception",
    "faq_sexuality_line", "faq_region_programme", "faq_named", "shelter_unreachable", "ask_animals", "remove_filters",
})
PAYLOAD_ENTITIES = frozenset({"need", "place", "age", "public", "modality", "time", "lat", "lon"})
PAYLOAD_PATTERN = re.compile(r"/([a-z_]{1,64})(\{.*\})?", re.DOTALL)

ASSISTANT_UNAVAILABLE = (
    "Désolé, l'assistant ne répond pas pour le moment. Réessayez dans une minute, ou cherchez un lieu "
    "sur la page « Rechercher un lieu ». En urgence, appelez le 112 (urgences), le 15 (SAMU), le 17 "
    "(police), le 115 (hébergement), le 3919 (violences faites aux femmes), le 119 (enfance en danger) "
    "ou le 3114 (prévention du suicide) : gratuits, 24 h/24."
)


class AssistantUnavailableError(Exception):
    """The assistant did not answer in time, or not with a valid reply (its text is never shown)."""


# -- the request --------------------------------------------------------------------------------------
def check_payload(message: str) -> str:
    """A "/intent{...}" payload, as the page's buttons and « Me localiser » send them."""
    match = PAYLOAD_PATTERN.fullmatch(message)
    if not match or match.group(1) not in PAYLOAD_INTENTS:
        raise ValueError("commande inconnue : seules les commandes des boutons de l'assistant sont acceptées")
    intent, raw = match.group(1), match.group(2)
    entities: dict[str, Any] = {}
    if raw:
        try:
            entities = json.loads(raw)
        except ValueError:
            raise ValueError("commande invalide : données JSON illisibles") from None
        if not isinstance(entities, dict):
            raise ValueError("commande invalide : un objet JSON est attendu")
    for name, value in entities.items():
        if name not in PAYLOAD_ENTITIES:
            raise ValueError(f"commande invalide : donnée inconnue « {name[:40]} »")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"commande invalide : « {name} » doit être un texte ou un nombre")
        if isinstance(value, str) and len(value) > 200:
            raise ValueError(f"commande invalide : « {name} » est trop long")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"commande invalide : « {name} » doit être un nombre fini")
    if intent == "share_location":
        lat, lon = entities.get("lat"), entities.get("lon")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon))
        if not numbers or not (-90 <= lat <= 90 and -180 <= lon <= 180):  # type: ignore[operator]
            raise ValueError("position invalide : lat (−90 à 90) et lon (−180 à 180) sont attendues")
    return message


class ChatMessageIn(BaseModel):
    """Un message de la personne, envoyé par la page de discussion."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="Le texte (1 à 2 000 caractères), ou une commande d'un bouton de l'assistant (« /intention{…} »).")
    # Pages loaded before the cookie existed still send their own id: accepted, never used.
    sender: str | None = Field(default=None, max_length=64, description="Ignoré : la conversation est celle du cookie.")

    @field_validator("message", mode="before")
    @classmethod
    def _message(cls, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("texte attendu")
        if not value.strip():
            raise ValueError("message vide : écrivez votre question")
        if len(value) > MAX_MESSAGE_CHARS:
            raise ValueError(f"message trop long (au plus {MAX_MESSAGE_CHARS} caractères)")
        if value.startswith("/"):
            return check_payload(value)
        return value


# -- the reply ----------------------------------------------------------------------------------------
class Button(BaseModel):
    title: str = Field(max_length=200)
    payload: str = Field(max_length=MAX_MESSAGE_CHARS)


class Opening(BaseModel):
    status: Literal["open", "closed", "unknown"]
    label: str = Field(max_length=300)


class Card(BaseModel):
    """Un lieu proposé par l'assistant, tel que la page en dessine une fiche."""

    id: str = Field(max_length=200)
    name: str = Field(max_length=500)
    categories: list[str] = []
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    distance_m: float | None = None
    opening: Opening
    address: str | None = Field(default=None, max_length=500)
    phones: list[str] = []
    conditions: list[str] = []
    stale: bool = False
    data_date: date | None = Field(default=None, description="Date des données (ajoutée par le relais).")


class SearchEcho(BaseModel):
    categories: list[str] = []
    place_label: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = None


class Call(BaseModel):
    """Un numéro que l'assistant conseille : la page en fait un bouton d'appel (jamais du texte lu)."""

    number: str = Field(pattern=r"^[0-9]{2,10}$")
    name: str = Field(max_length=100)
    kind: Literal["tel", "sms"] = "tel"


class Results(BaseModel):
    """La partie structurée d'une réponse : une liste de lieux et/ou les numéros à appeler."""

    search: SearchEcho | None = None
    total: int = 0
    structures: list[Card] = Field(default_factory=list, max_length=60)
    calls: list[Call] = Field(default_factory=list, max_length=8)


class BotMessage(BaseModel):
    """Un message de l'assistant : texte, boutons de réponse rapide, et/ou liste de lieux et numéros."""

    text: str | None = Field(default=None, max_length=20_000)
    buttons: list[Button] | None = None
    custom: Results | None = None


def _shape(raw: object) -> list[BotMessage]:
    """Keeps what the page knows how to show; a malformed part is dropped, never passed on."""
    if not isinstance(raw, list):
        raise AssistantUnavailableError("reply is not a list")
    messages: list[BotMessage] = []
    for entry in raw[:20]:
        if not isinstance(entry, dict):
            continue
        text = entry.get("text") if isinstance(entry.get("text"), str) else None
        buttons: list[Button] = []
        for button in entry.get("buttons") or []:
            try:
                checked = Button.model_validate(button)
                check_payload(checked.payload)
            except (ValidationError, ValueError, TypeError):
                continue
            buttons.append(checked)
        custom = None
        if entry.get("custom") is not None:
            try:
                custom = Results.model_validate(entry["custom"])
            except ValidationError:
                log.warning("assistant payload dropped: unexpected shape")
        message = BotMessage(text=text[:20_000] if text else None, buttons=buttons or None, custom=custom)
        if message.text or message.buttons or message.custom:
            messages.append(message)
    return messages


# -- the forwarding -----------------------------------------------------------------------------------
class AssistantClient:
    """POSTs to the one webhook URL it was built with; no redirects, no environment proxy."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"ASSISTANT_URL invalide : {base_url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "") + WEBHOOK_PATH
        self.timeout_s = timeout_s

    def _post(self, body: bytes) -> bytes:
        deadline = time.monotonic() + self.timeout_s
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = kind(self.host, self.port, timeout=self.timeout_s)
        try:
            connection.request("POST", self.path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            if response.status != 200:
                raise AssistantUnavailableError(f"status {response.status}")
            chunks, size = [], 0
            while chunk := response.read(16384):
                size += len(chunk)
                if size > MAX_REPLY_BYTES or time.monotonic() > deadline:
                    raise AssistantUnavailableError("reply too large or too slow")
                chunks.append(chunk)
            return b"".join(chunks)
        except (OSError, http.client.HTTPException) as error:
            raise AssistantUnavailableError(type(error).__name__) from None
        finally:
            connection.close()

    async def send(self, sender: str, message: str) -> list[BotMessage]:
        body = json.dumps({"sender": sender, "message": message}, ensure_ascii=False).encode("utf-8")
        try:
            with anyio.fail_after(self.timeout_s):
                raw = await anyio.to_thread.run_sync(self._post, body, abandon_on_cancel=True)
        except TimeoutError:
            raise AssistantUnavailableError("timeout") from None
        try:
            return _shape(json.loads(raw))
        except ValueError:
            raise AssistantUnavailableError("reply is not JSON") from None


def _client(request: Request) -> AssistantClient:
    client = getattr(request.app.state, "assistant_client", None)
    if client is None:
        settings = request.app.state.settings
        client = AssistantClient(settings.assistant_url, settings.assistant_timeout_s)
        request.app.state.assistant_client = client
    return client


# -- the conversation cookie -----------------------------------------------------------------------------
def _signature(secret: bytes, key: str) -> str:
    return hmac.new(secret, f"chat-cookie:{key}".encode(), hashlib.sha256).hexdigest()[:32]


def _secret(request: Request) -> bytes:
    return request.app.state.server_secret


def conversation_key(request: Request) -> str | None:
    """The key of the browser's signed cookie, or None when it has none (or a forged one)."""
    key, _, signature = (request.cookies.get(COOKIE) or "").partition(".")
    if not KEY_PATTERN.fullmatch(key) or not hmac.compare_digest(signature, _signature(_secret(request), key)):
        return None
    return key


def assistant_sender(request: Request, key: str) -> str:
    """The id the assistant knows the conversation by: an HMAC of the key, useless without the cookie."""
    return hmac.new(_secret(request), f"chat-sender:{key}".encode(), hashlib.sha256).hexdigest()[:32]


def set_conversation_cookie(request: Request, response: Response, key: str) -> None:
    response.set_cookie(
        COOKIE, f"{key}.{_signature(_secret(request), key)}", path="/chat", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",  # behind a TLS proxy, with FORWARDED_ALLOW_IPS
    )


def new_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters


def _add_data_dates(request: Request, messages: list[BotMessage]) -> None:
    """The date of each card's data, from the index (the assistant's payload carries only `stale`)."""
    service = getattr(request.app.state, "directory", None)
    if service is None:
        return
    for message in messages:
        for card in message.custom.structures if message.custom else []:
            try:
                structure = service.backend.get(card.id)
            except Exception:  # the engine may be down: the card is shown without its date
                log.warning("data date unavailable for a chat card")
                return
            if structure is not None:
                card.data_date = structure.data_date


@router.post("/chat/messages", response_model=list[BotMessage], response_model_exclude_none=True)
async def chat_messages(body: ChatMessageIn, request: Request, response: Response) -> Any:
    """Transmet un message à l'assistant et renvoie ses réponses (texte, boutons, lieux)."""
    key = conversation_key(request)
    if key is None:
        key = new_key()
        set_conversation_cookie(request, response, key)
    try:
        messages = await _client(request).send(assistant_sender(request, key), body.message)
    except AssistantUnavailableError as error:
        log.warning("assistant unavailable (%s)", error)  # the kind of failure only, never the message
        refusal = JSONResponse(
            status_code=503, content={"detail": ASSISTANT_UNAVAILABLE, "errors": []}, headers={"Retry-After": "10"}
        )
        if "set-cookie" in response.headers:
            refusal.headers.append("set-cookie", response.headers["set-cookie"])
        return refusal
    await anyio.to_thread.run_sync(_add_data_dates, request, messages)
    return messages


@router.post("/chat/reset", status_code=204)
async def chat_reset(request: Request) -> Response:
    """Oublie la conversation (« Effacer », « Quitter rapidement ») : l'assistant l'efface et le
    navigateur reçoit une nouvelle clé."""
    key = conversation_key(request)
    if key is not None:
        try:  # Rasa's own command: the conversation's tracker starts again, empty
            await _client(request).send(assistant_sender(request, key), "/restart")
        except AssistantUnavailableError as error:
            log.warning("assistant unavailable for a reset (%s)", error)
    response = Response(status_code=204)
    set_conversation_cookie(request, response, new_key())
    return response


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "chat.html", {"page": "chat"})
