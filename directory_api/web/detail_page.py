"""`GET /lieux/{id}`: everything known about one place, where it comes from, and how old it is.

The record is the one `GET /structures/{id}` returns (same function); this module only words it in
French for people: day names, slots, public holidays, closures, publics, conditions, provenance.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from directory_api.api.routes.structures import get_structure
from directory_api.api.schemas import StructureDetail
from directory_api.api.search_service import DirectoryService, conditions
from directory_api.labels import GENDER_LABELS, listed_publics
from directory_api.models import WEEKDAYS, Modalities, OpeningHours, Publics
from directory_api.opening import weekly_text
from directory_api.web import templates
from directory_api.web.reports import KIND_LABELS, MAX_CONTACT, MAX_MESSAGE
from directory_api.web.search_page import back_to_results, directions_url, sources_info, tel_href

router = APIRouter(include_in_schema=False)

DAY_NAMES = dict(zip(WEEKDAYS, ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"], strict=True))
HOLIDAYS = {
    "open": "Ouvert les jours fériés (mêmes horaires).",
    "closed": "Fermé les jours fériés.",
    "unknown": "Jours fériés : on ne sait pas, appelez avant.",
}
WELCOME = {
    "unconditional": "Accueil inconditionnel (tout le monde)",
    "preferential": "Tout le monde, accueil adapté à",
    "exclusive": "Réservé à",
}
MODALITIES: tuple[tuple[str, str, str], ...] = (
    # field, when true, when false
    ("unconditional", "Sans condition d'accès", "Avec conditions d'accès"),
    ("appointment", "Sur rendez-vous", "Sans rendez-vous"),
    ("registration", "Sur inscription", "Sans inscription"),
    ("referral", "Sur orientation uniquement", "Sans orientation préalable"),  # who refers: referral_details
    ("free", "Gratuit", "Payant"),
    ("free_for_minors", "Gratuit pour les mineur·es", "Payant pour les mineur·es"),
    ("anonymous", "Anonyme", "Non anonyme"),
    ("anonymous_for_minors", "Confidentiel pour les mineur·es", "Non confidentiel pour les mineur·es"),
    ("wheelchair_access", "Accessible en fauteuil roulant", "Non accessible en fauteuil roulant"),
    ("animals_accepted", "Animaux acceptés", "Animaux non acceptés"),
)
LANGUAGE_NAMES = {
    "fr": "français", "en": "anglais", "ar": "arabe", "bn": "bengali", "zh": "chinois", "es": "espagnol",
    "fa": "persan", "ps": "pachto", "pt": "portugais", "ro": "roumain", "ru": "russe", "so": "somali",
    "ta": "tamoul", "ti": "tigrigna", "tr": "turc", "uk": "ukrainien", "wo": "wolof", "de": "allemand", "it": "italien",
}
FIELD_NAMES = {
    "name": "nom", "kind": "type", "description": "description", "address": "adresse", "postcode": "code postal",
    "commune": "commune", "address_complement": "complément d'adresse", "insee_code": "code commune",
    "department": "département", "location_precision": "précision de la position", "lat": "position", "lon": "position", "phones": "téléphone", "email": "courriel",
    "website": "site web", "finess": "FINESS", "siret": "SIRET", "services": "services", "publics": "publics",
    "modalities": "conditions", "hours": "horaires", "languages": "langues",
}


def hours_view(hours: OpeningHours | None) -> dict[str, Any] | None:
    """None for unknown hours; else the week in French, with holidays, validity and closures."""
    if hours is None:
        return None
    days = []
    for day in WEEKDAYS:
        slots = sorted(hours.weekly.get(day, []), key=lambda s: s.start)
        text = ", ".join(
            f"{s.start.strftime('%Hh%M')} – {s.end.strftime('%Hh%M')}"
            + (" (le lendemain)" if s.end <= s.start else "")
            for s in slots
        )
        days.append((DAY_NAMES[day], text or "Fermé"))
    return {
        "always_open": hours.always_open,
        "days": days,
        "holidays": HOLIDAYS.get(str(hours.public_holidays), HOLIDAYS["unknown"]),
        "valid_from": hours.valid_from,
        "valid_until": hours.valid_until,
        "closures": hours.closures,
        "notes": hours.notes,
    }


def publics_view(publics: Publics | None) -> list[str]:
    if publics is None:
        return []
    lines = []
    listed = listed_publics(publics)
    welcome = str(publics.welcome)
    if welcome == "unconditional" or not listed:
        lines.append(WELCOME["unconditional"] if welcome == "unconditional" else "Publics : non précisés")
        if listed:
            lines.append("Publics accompagnés en particulier : " + ", ".join(listed))
    else:
        lines.append(f"{WELCOME[welcome]} : " + ", ".join(listed))
    if str(publics.gender) in GENDER_LABELS:
        lines.append(f"Réservé aux {GENDER_LABELS[str(publics.gender)]}")
    if publics.age_min > 0 or publics.age_max < 120:
        if publics.age_max >= 120:
            lines.append(f"À partir de {publics.age_min} ans")
        elif publics.age_min == 0:
            lines.append(f"Jusqu'à {publics.age_max} ans")
        else:
            lines.append(f"De {publics.age_min} à {publics.age_max} ans")
    if publics.description:
        lines.append(publics.description)
    return lines


def modalities_view(modalities: Modalities | None) -> list[str]:
    if modalities is None:
        return []
    lines = []
    for field, yes, no in MODALITIES:
        value = getattr(modalities, field)
        if value is not None:
            lines.append(yes if value else no)
    for detail in (modalities.appointment_details, modalities.referral_details, modalities.price_details, modalities.other):
        if detail:
            lines.append(detail)
    return lines


def languages_view(languages: list[str] | None) -> str | None:
    return ", ".join(LANGUAGE_NAMES.get(code, code) for code in languages) if languages else None


def share_text(detail: StructureDetail, url: str) -> str:
    """What « Envoyer par SMS » and « Partager » carry: enough to go there without the site; nothing
    is kept on the server."""
    address = ", ".join(part for part in (detail.address, " ".join(filter(None, (detail.postcode, detail.commune)))) if part)
    hours = weekly_text(detail.hours) or detail.opening.label
    lines = [detail.name, address, *(f"Tél. {phone}" for phone in detail.phones[:1]), f"Horaires : {hours}", url]
    return "\n".join(line for line in lines if line)


def render_detail(
    request: Request,
    structure_id: str,
    *,
    report_form: dict[str, str] | None = None,
    report_errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse | RedirectResponse:
    service: DirectoryService = request.app.state.directory
    try:
        detail = get_structure(structure_id, service)
    except HTTPException:
        return templates.TemplateResponse(
            request, "not_found.html", {"page": "detail", "structure_id": structure_id[:200]}, status_code=404
        )
    if not isinstance(detail, StructureDetail):
        # A record merged with another source's record of the same place: the API redirects to the
        # common record, so does the page.
        target = service.merged_into.get(structure_id, "")
        return RedirectResponse(f"/lieux/{quote(target)}", status_code=301)
    taxonomy = service.taxonomy
    info = sources_info()
    services = [
        {
            "service": svc,
            "categories": [taxonomy[c].label for c in svc.categories if c in taxonomy],
            "publics": publics_view(svc.publics) if svc.publics is not None else [],
            "modalities": modalities_view(svc.modalities) if svc.modalities is not None else [],
            "hours": hours_view(svc.hours) if svc.hours is not None else None,
            "own_hours": svc.hours is not None,
            "languages": languages_view(svc.languages),
        }
        for svc in detail.services
    ]
    context = {
        "page": "detail",
        "s": detail,
        "services": services,
        "hours": hours_view(detail.hours) if detail.hours is not None or not any(x["own_hours"] for x in services) else "services",
        "publics": publics_view(detail.publics),
        "modalities": modalities_view(detail.modalities),
        "conditions": conditions(detail),
        "languages": languages_view(detail.languages),
        "phones": [(phone, tel_href(phone)) for phone in detail.phones],
        "directions": directions_url(detail),
        "sources": [
            {
                "provenance": p,
                "title": info[p.source].title if p.source in info else p.source,
                "publisher": info[p.source].publisher if p.source in info else None,
                "licence_url": info[p.source].licence_url if p.source in info else None,
                "fields": ", ".join(dict.fromkeys(FIELD_NAMES.get(f.split(".")[0], f) for f in p.fields)) if p.fields else "toutes les informations",
            }
            for p in detail.sources
        ],
        "marker": {
            "markers": [{
                "id": detail.id, "n": 1, "name": detail.name, "lat": detail.lat, "lon": detail.lon,
                "approx": detail.location_precision == "commune", "opening": detail.opening.label,
            }],
            "center": None,
        },
        "back": back_to_results(request.query_params),
        "share": share_text(detail, str(request.url_for("detail_page", structure_id=detail.id))),
        "kinds": KIND_LABELS,
        "report_form": report_form or {},
        "report_errors": report_errors or [],
        "thanks": request.query_params.get("signalement") == "merci",
        "max_message": MAX_MESSAGE,
        "max_contact": MAX_CONTACT,
    }
    return templates.TemplateResponse(request, "detail.html", context, status_code=status_code)


@router.get("/lieux/{structure_id}", response_class=HTMLResponse, response_model=None)
def detail_page(structure_id: str, request: Request) -> HTMLResponse | RedirectResponse:
    return render_detail(request, structure_id)
