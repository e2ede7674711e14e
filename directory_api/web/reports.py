"""« Signaler une erreur » : anyone can say that a place is closed, or that its hours, address or phone are
wrong. Reports are kept for review in a small SQLite file, apart from the open data (they are not data).

Privacy: we store only what the reporter typed (kind, message, optional contact), the place's id and a
timestamp, in a file only the server's user can read (0600), and each report is deleted
`REPORTS_RETENTION_DAYS` after it arrived (180 by default). The rate limit (per client, shared by the
server processes) is the one of every route (`api/protection.py`): an HMAC of the client address under
the server's secret, never the address itself.

Two ways in: `POST /structures/{id}/reports` (JSON, in the OpenAPI document) and the plain HTML form of
the detail page, `POST /lieux/{id}/signaler`, which works without JavaScript (redirects back with a
thank-you message).
"""

from __future__ import annotations

import hmac
import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from directory_api.api.dependencies import ServiceDep
from directory_api.api.protection import ClientLimiter
from directory_api.api.schemas import ErrorResponse
from directory_api.settings import Settings

router = APIRouter(tags=["signalements"])

MAX_MESSAGE = 2000
MAX_CONTACT = 200


class ReportKind(StrEnum):
    closed = "closed"
    wrong_hours = "wrong_hours"
    wrong_address = "wrong_address"
    wrong_phone = "wrong_phone"
    wrong_conditions = "wrong_conditions"
    other = "other"


# French labels, in the order the form shows them.
KIND_LABELS: dict[str, str] = {
    ReportKind.closed: "Le lieu est fermé définitivement",
    ReportKind.wrong_hours: "Les horaires sont faux",
    ReportKind.wrong_address: "L'adresse ou la position est fausse",
    ReportKind.wrong_phone: "Le téléphone est faux",
    ReportKind.wrong_conditions: "Les conditions d'accès sont fausses",
    ReportKind.other: "Autre chose",
}


class ReportIn(BaseModel):
    """Un signalement sur une fiche, tel que la personne l'a tapé."""

    model_config = ConfigDict(extra="forbid")

    kind: ReportKind = Field(
        description="Ce qui est faux : `closed` (fermé définitivement), `wrong_hours` (horaires), "
        "`wrong_address` (adresse ou position), `wrong_phone` (téléphone), `wrong_conditions` "
        "(conditions d'accès), `other` (autre chose)."
    )
    message: str = Field(
        max_length=MAX_MESSAGE,
        description="Ce que la personne a constaté (1 à 2 000 caractères).",
        json_schema_extra={"minLength": 1},
    )
    contact: str | None = Field(
        default=None,
        max_length=MAX_CONTACT,
        description="Facultatif : un moyen de recontacter la personne (courriel ou téléphone), "
        "seulement si elle le souhaite.",
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("message vide : décrivez l'erreur en quelques mots")
        return value

    @field_validator("contact")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class ReportReceipt(BaseModel):
    id: int = Field(description="Numéro du signalement.")
    detail: str = Field(description="Message de remerciement, en français.")


class Report(BaseModel):
    id: int
    structure_id: str
    kind: ReportKind
    message: str
    contact: str | None
    created_at: datetime = Field(description="Date de réception (UTC).")


class ReportList(BaseModel):
    total: int = Field(description="Nombre total de signalements reçus.")
    items: list[Report] = Field(description="Les plus récents d'abord.")


# -- storage ---------------------------------------------------------------------------------------
class ReportStore:
    """Reports in a SQLite file: one connection per call (thread-safe, several processes allowed)."""

    def __init__(self, path: Path, retention_days: int) -> None:
        self.path = path
        self.retention = timedelta(days=retention_days)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)  # what people typed, contacts included: the server's user only
        with closing(self._connect()) as conn, conn:
            conn.execute("PRAGMA journal_mode=WAL")  # several server processes read and write it
            conn.execute(
                "CREATE TABLE IF NOT EXISTS reports ("
                " id INTEGER PRIMARY KEY AUTOINCREMENT, structure_id TEXT NOT NULL, kind TEXT NOT NULL,"
                " message TEXT NOT NULL, contact TEXT, created_at TEXT NOT NULL)"
            )
        self.delete_expired()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA secure_delete=ON")  # a deleted report is overwritten, not only unlinked
        return conn

    def delete_expired(self) -> int:
        """Deletes the reports older than the retention; ISO dates in UTC compare as text."""
        limit = (datetime.now(UTC) - self.retention).replace(microsecond=0).isoformat()
        with closing(self._connect()) as conn, conn:
            return conn.execute("DELETE FROM reports WHERE created_at < ?", (limit,)).rowcount

    def add(self, structure_id: str, report: ReportIn) -> int:
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
        self.delete_expired()
        with closing(self._connect()) as conn, conn:
            cursor = conn.execute(
                "INSERT INTO reports (structure_id, kind, message, contact, created_at) VALUES (?, ?, ?, ?, ?)",
                (structure_id, report.kind.value, report.message, report.contact, created),
            )
            return int(cursor.lastrowid or 0)

    def list(self, limit: int) -> tuple[int, list[Report]]:
        with closing(self._connect()) as conn:
            total = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
            rows = conn.execute("SELECT * FROM reports ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return total, [Report(**dict(row)) for row in rows]


class TooManyReportsError(Exception):
    def __init__(self, wait_s: float) -> None:
        super().__init__(wait_s)
        self.wait_s = wait_s

    @property
    def message(self) -> str:
        minutes = max(1, round(self.wait_s / 60))
        return (
            "Trop de signalements envoyés depuis cette connexion en peu de temps. Merci pour votre aide ! "
            f"Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."
        )


_state_lock = threading.Lock()


def _store(request: Request) -> ReportStore:
    state = request.app.state
    with _state_lock:  # two first reports at once (threads of one process) open the file once
        if getattr(state, "reports", None) is None:
            settings: Settings = state.settings
            state.reports = ReportStore(settings.reports_path, settings.reports_retention_days)
        return state.reports


def submit(request: Request, service, structure_id: str, report: ReportIn) -> int:
    """Stores a report: rate limit first (unknown ids count too), then 404 for an unknown place."""
    store = _store(request)
    limiter: ClientLimiter = request.app.state.client_limiter
    wait = limiter.hit("report", request.client.host if request.client else "inconnu")
    if wait is not None:
        raise TooManyReportsError(wait)
    # A record merged into another one (same place, other source): the report goes to the common record.
    structure_id = service.merged_into.get(structure_id, structure_id)
    if len(structure_id) > 200 or service.backend.get(structure_id) is None:
        raise HTTPException(status_code=404, detail=f"Aucun lieu avec l'identifiant « {structure_id[:200]} ».")
    return store.add(structure_id, report)


THANKS = "Merci ! Votre signalement a été enregistré ; l'équipe le vérifiera avant de corriger la fiche."


@router.post(
    "/structures/{structure_id}/reports",
    response_model=ReportReceipt,
    status_code=201,
    responses={
        201: {"description": "Signalement enregistré ; merci en français."},
        404: {"model": ErrorResponse, "description": "Identifiant de lieu inconnu."},
        422: {"model": ErrorResponse, "description": "Signalement invalide (champ et raison)."},
        429: {"model": ErrorResponse, "description": "Trop de signalements depuis ce client : réessayer plus tard."},
    },
    summary="Signaler une erreur sur une fiche",
)
def create_report(structure_id: str, report: ReportIn, request: Request, service: ServiceDep) -> Response:
    """Enregistre un signalement pour relecture (lieu fermé, horaires, adresse ou téléphone faux…).

    Seuls le type, le message, le contact facultatif et la date sont conservés ; l'adresse IP sert
    seulement à limiter le nombre de signalements (5 par 10 minutes par défaut), sous forme d'empreinte
    (HMAC) effacée à la fin de la fenêtre, jamais en clair. Les signalements sont supprimés 180 jours
    après leur réception (réglage `REPORTS_RETENTION_DAYS`)."""
    try:
        report_id = submit(request, service, structure_id, report)
    except TooManyReportsError as exc:
        return JSONResponse(
            status_code=429,
            content={"detail": exc.message, "errors": []},
            headers={"Retry-After": str(int(exc.wait_s) + 1)},
        )
    return JSONResponse(status_code=201, content={"id": report_id, "detail": THANKS})


bearer = HTTPBearer(auto_error=False, description="Jeton de relecture (réglage `REPORTS_REVIEW_TOKEN`).")


def _reviewer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    token = request.app.state.settings.reports_review_token
    if token is None:  # no token configured: the list does not exist
        raise HTTPException(status_code=404)
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(
            status_code=401,
            detail="Jeton de relecture manquant ou invalide.",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.get(
    "/reports",
    response_model=ReportList,
    responses={
        200: {"description": "Les signalements, les plus récents d'abord."},
        401: {"model": ErrorResponse, "description": "Jeton manquant ou invalide."},
        404: {"model": ErrorResponse, "description": "Relecture désactivée (aucun jeton configuré)."},
    },
    summary="Relire les signalements",
    dependencies=[Depends(_reviewer)],
)
def list_reports(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="Nombre maximal de signalements.")] = 100,
) -> ReportList:
    """Les signalements reçus, les plus récents d'abord. Réservé à l'équipe : jeton `Bearer`
    (réglage `REPORTS_REVIEW_TOKEN`) ; sans jeton configuré, cette liste n'existe pas (404)."""
    total, items = _store(request).list(limit)
    return ReportList(total=total, items=items)


# -- the HTML form (no JavaScript needed) ---------------------------------------------------------
FIELD_LABELS = {"kind": "Ce qui est faux", "message": "Votre message", "contact": "Contact"}


@router.post("/lieux/{structure_id}/signaler", include_in_schema=False, response_class=HTMLResponse)
async def report_form(structure_id: str, request: Request, service: ServiceDep) -> Response:
    from directory_api.web.detail_page import render_detail

    body = (await request.body())[:20_000].decode("utf-8", errors="replace")
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items() if k in FIELD_LABELS}
    form = {"kind": fields.get("kind", ""), "message": fields.get("message", ""), "contact": fields.get("contact", "")}
    try:
        report = ReportIn(kind=form["kind"] or None, message=form["message"], contact=form["contact"] or None)
    except ValidationError as exc:
        errors = [_form_error(error) for error in exc.errors()]
        return render_detail(request, structure_id, report_form=form, report_errors=errors, status_code=422)
    try:
        submit(request, service, structure_id, report)
    except TooManyReportsError as exc:
        return render_detail(
            request, structure_id, report_form=form, report_errors=[exc.message], status_code=429
        )
    except HTTPException:
        return render_detail(request, structure_id)  # the French 404 page
    return RedirectResponse(f"/lieux/{quote(structure_id)}?signalement=merci#signaler", status_code=303)


def _form_error(error: dict) -> str:
    field = str(error.get("loc", ("",))[0])
    label = FIELD_LABELS.get(field, field)
    kind = error.get("type")
    if field == "kind":
        return f"{label} : choisissez une des propositions."
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        return f"{label} : texte trop long (au plus {limit} caractères)."
    if kind == "value_error":
        return f"{label} : {(error.get('ctx') or {}).get('error', 'valeur invalide')}."
    return f"{label} : valeur invalide."
