"""Shared helpers of the open-data place sources (Paris Data, RATP, ANCT, Région): locating a row,
readable French street names, stable ids for sources without ids, yes/no cells, French dates.

Private module (leading underscore): not a source itself.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from directory_api.geography.communes import Commune, CommuneIndex
from directory_api.geography.distance import haversine_km
from directory_api.sources.common import RowError, locate, parse_coordinates, slug
from directory_api.text import fold

ODBL = "ODbL 1.0"
ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
LICENCE_OUVERTE_2 = "Licence Ouverte 2.0"
LICENCE_OUVERTE_2_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    precision: str  # "address" | "commune"
    commune: Commune | None

    @property
    def commune_name(self) -> str | None:
        return commune_label(self.commune) if self.commune else None

    @property
    def insee_code(self) -> str | None:
        return self.commune.insee_code if self.commune else None

    @property
    def department(self) -> str | None:
        return self.commune.department if self.commune else None

    def structure_fields(self, postcode: str | None = None) -> dict[str, object]:
        """The location fields of a `Structure` (postcode: the source's, checked; see `postcode`)."""
        return {
            "postcode": self.postcode(postcode),
            "insee_code": self.insee_code,
            "commune": self.commune_name,
            "department": self.department,
            "lat": self.lat,
            "lon": self.lon,
            "location_precision": self.precision,
        }

    def postcode(self, given: str | None = None) -> str | None:
        """The source's postcode when valid, else the commune's only postcode (None when ambiguous)."""
        if given and re.fullmatch(r"\d{5}", given):
            return given
        if self.commune and len(self.commune.postcodes) == 1:
            return self.commune.postcodes[0]
        return None


def commune_label(commune: Commune) -> str:
    """« Paris 15e » for an arrondissement (the index says « Paris 15e Arrondissement »), else the name."""
    return re.sub(r"\s+Arrondissement$", "", commune.name)


def resolve_place(
    communes: CommuneIndex,
    *,
    lat: str | None,
    lon: str | None,
    insee_code: str | None = None,
    postcode: str | None = None,
    commune: Commune | None = None,
) -> Place:
    """Position of a row: its own coordinates, else (missing or broken) the centre of its commune.

    Raises `RowError` (the reject reason) when there is neither a usable position nor a known commune.
    """
    coordinate_error: RowError | None = None
    try:
        coordinates = parse_coordinates(lat, lon)
    except RowError as exc:
        coordinates, coordinate_error = None, exc
    if commune is not None:
        if coordinates is not None:
            return Place(coordinates[0], coordinates[1], "address", commune)
        return Place(commune.lat, commune.lon, "commune", commune)
    try:
        plat, plon, precision, found = locate(
            communes, coordinates=coordinates, insee_code=insee_code, postcode=postcode
        )
    except RowError as exc:
        raise (RowError(f"{coordinate_error} ; {exc}") if coordinate_error else exc) from None
    return Place(plat, plon, precision, found)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (the formula the search engines use)."""
    return float(haversine_km(lat1, lon1, lat2, lon2)) * 1000


def commune_by_name(
    communes: CommuneIndex, name: str, *, near: tuple[float, float] | None = None
) -> Commune | None:
    """A commune from a free-written name (« SAINT-OUEN », « Boulogne », « Bussy St Georges »).

    Exact folded match first, then names starting with the given words; among several candidates
    the one whose centre is nearest to `near` (when given), else the most populated.
    """
    wanted = _name_key(name)
    if not wanted:
        return None
    pool = [c for c in communes.communes if c.kind == "commune"]
    exact = [c for c in pool if _name_key(c.name) == wanted]
    candidates = exact or [c for c in pool if _name_key(c.name).startswith(wanted + " ")]
    if not candidates:
        return None
    if near is not None:
        return min(candidates, key=lambda c: distance_m(near[0], near[1], c.lat, c.lon))
    return max(candidates, key=lambda c: c.population or 0)


def _name_key(name: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(name)).split()
    expanded = {"st": "saint", "ste": "sainte"}
    return " ".join(expanded.get(w, w) for w in words)


_PARIS_ARRONDISSEMENT = re.compile(r"^paris\s*(\d{1,2})\s*(?:e|er|eme)?\b")


def paris_arrondissement(communes: CommuneIndex, text: str | None) -> Commune | None:
    """The arrondissement of « 75015 », « 75116 » or « PARIS 15EME ARRONDISSEMENT »."""
    if not text:
        return None
    text = text.strip()
    if re.fullmatch(r"75\d{3}", text):
        number = int(text[3:]) if text != "75116" else 16
    else:
        match = _PARIS_ARRONDISSEMENT.match(fold(text))
        if not match:
            return None
        number = int(match.group(1))
    if not 1 <= number <= 20:
        return None
    return communes.by_insee(f"751{number:02d}")


# --- readable French addresses -------------------------------------------------------------------

_STREET_TYPES = {
    "rue": "rue",
    "r": "rue",
    "avenue": "avenue",
    "av": "avenue",
    "ave": "avenue",
    "boulevard": "boulevard",
    "bd": "boulevard",
    "bld": "boulevard",
    "place": "place",
    "pl": "place",
    "quai": "quai",
    "square": "square",
    "sq": "square",
    "allee": "allée",
    "passage": "passage",
    "impasse": "impasse",
    "imp": "impasse",
    "cite": "cité",
    "villa": "villa",
    "chemin": "chemin",
    "route": "route",
    "cours": "cours",
    "chaussee": "chaussée",
    "esplanade": "esplanade",
    "promenade": "promenade",
    "carrefour": "carrefour",
    "mail": "mail",
    "sentier": "sentier",
    "voie": "voie",
    "port": "port",
    "parvis": "parvis",
    "rond": "rond",
    "porte": "porte",
    "pont": "pont",
    "galerie": "galerie",
    "hameau": "hameau",
}
_SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "et", "a", "au", "aux", "sur", "sous", "en", "l", "d"}
_ACCENTED = {
    "cimetiere": "Cimetière",
    "general": "Général",
    "marechal": "Maréchal",
    "president": "Président",
    "elysees": "Élysées",
    "eglise": "Église",
    "ecole": "École",
    "etoile": "Étoile",
    "republique": "République",
    "fraternite": "Fraternité",
    "liberte": "Liberté",
    "egalite": "Égalité",
    "universite": "Université",
    "hopital": "Hôpital",
}


def readable_address(text: str | None) -> str | None:
    """« 76  RUE BRANCION » → « 76 rue Brancion » (« AV » → « avenue »…).

    Words already in mixed case are kept; words in capitals are re-cased and abbreviated street types
    written out. Accents missing from upper-case sources are not guessed, except a few common words.
    """
    if not text:
        return None
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return None
    words = text.split(" ")
    shouting = [_is_upper(w) and sum(c.isalpha() for c in w) > 1 for w in words]
    out: list[str] = []
    street_type_seen = False
    for index, word in enumerate(words):
        near_capitals = any(shouting[max(0, index - 1) : index + 2])
        if not (_is_upper(word) and near_capitals):
            out.append(word)  # already written in mixed case: keep it
            continue
        key = fold(word).strip(".,")
        starts_street = index == 0 or re.match(r"^\d", out[-1]) or out[-1] in {"au", "face", "bis", "ter"}
        if key in _STREET_TYPES and not street_type_seen and starts_street:
            out.append(_STREET_TYPES[key])
            street_type_seen = True
        else:
            out.append(_recase(word, first=index == 0))
    return re.sub(r"\b([ld])' ", r"\1'", " ".join(out))


def readable_name(text: str) -> str:
    """Names written in capitals (« MARCHE DE L'EUROPE ») → « Marche de l'Europe »; others tidied."""
    text = re.sub(r"\s+", " ", text).strip()
    if not _is_upper(text):
        return text
    return re.sub(r"\b([ld])' ", r"\1'", " ".join(
        _recase(word, first=index == 0) for index, word in enumerate(text.split(" "))
    ))


def _recase(word: str, *, first: bool) -> str:
    key = fold(word).strip(".,")
    if re.match(r"^\d", word):
        return word.lower()
    if not first and key in {"l", "d"}:
        return key + "'"  # « RUE D AUBERVILLIERS » lost its apostrophe
    if not first and key in _SMALL_WORDS:
        return "à" if key == "a" else key
    if key in _ACCENTED:
        return _ACCENTED[key]
    recased = "-".join(_capitalise(part) for part in word.split("-"))
    if not first and re.match(r"^[LD]'", recased):
        recased = recased[0].lower() + recased[1:]
    return recased


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


def _capitalise(word: str) -> str:
    if "'" in word:
        head, _, tail = word.partition("'")
        return _capitalise(head) + "'" + _capitalise(tail)
    return word[:1].upper() + word[1:].lower()


# --- stable identifiers ------------------------------------------------------------------------

def coordinate_key(lat: float, lon: float) -> str:
    """« 4883193-230273 »: the position rounded to 5 decimals (about a metre), without dots."""
    return f"{round(lat * 100_000)}-{round(lon * 100_000)}"


def unique_ids(bases: Sequence[str], tiebreakers: Sequence[str]) -> list[str]:
    """Make ids unique without depending on row order when possible.

    An id used once stays as is. Colliding ids get « -<slug of the tiebreaker> » (e.g. the address);
    if that still collides (identical rows), « -2 », « -3 »… in file order.
    """
    counts = Counter(bases)
    ids = [base if counts[base] == 1 else f"{base}-{slug(tie)[:60].strip('-')}".rstrip("-")
           for base, tie in zip(bases, tiebreakers, strict=True)]
    seen: dict[str, int] = defaultdict(int)
    final_counts = Counter(ids)
    result = []
    for value in ids:
        if final_counts[value] > 1:
            seen[value] += 1
            result.append(value if seen[value] == 1 else f"{value}-{seen[value]}")
        else:
            result.append(value)
    return result


# --- small cell parsers -------------------------------------------------------------------------

def yes_no(value: str | None) -> bool | None:
    """« Oui »/« oui » → True, « Non » → False, anything else (empty) → None."""
    folded = fold(value or "").strip()
    if folded in {"oui", "yes", "o", "true", "1"}:
        return True
    if folded in {"non", "no", "n", "false", "0"}:
        return False
    return None


_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}


def parse_short_date(text: str) -> date:
    """« 01/01/20 » or « 01/01/2020 » → date (two-digit years are 20xx)."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", text.strip())
    if not match:
        raise ValueError(f"date illisible : {text!r}")
    day, month, year = (int(g) for g in match.groups())
    return date(year + 2000 if year < 100 else year, month, day)


def parse_validity_period(text: str | None) -> tuple[date | None, date | None] | None:
    """« du 01/01/20 au 01/01/32 », « à partir du 16/06/20 », « Du 08 juillet au 20 août 2023 ».

    Returns (valid_from, valid_until) or None when the text is not a dated period.
    """
    if not text:
        return None
    cleaned = re.sub(r"\s+", " ", fold(text).strip())
    short = r"(\d{1,2}/\d{1,2}/\d{2,4})"
    match = re.fullmatch(rf"du {short} au {short}", cleaned)
    if match:
        return parse_short_date(match.group(1)), parse_short_date(match.group(2))
    match = re.fullmatch(rf"a partir du {short}", cleaned)
    if match:
        return parse_short_date(match.group(1)), None
    months = "|".join(_MONTHS)
    match = re.fullmatch(rf"du (\d{{1,2}}) ({months}) au (\d{{1,2}}) ({months}) (\d{{4}})", cleaned)
    if match:
        d1, m1, d2, m2, year = match.groups()
        end = date(int(year), _MONTHS[m2], int(d2))
        start_year = int(year) if _MONTHS[m1] <= _MONTHS[m2] else int(year) - 1
        return date(start_year, _MONTHS[m1], int(d1)), end
    return None


def french_date(value: date) -> str:
    """« 1er janvier 2032 », « 30 septembre 2025 »."""
    names = list(_MONTHS)
    month = names[value.month - 1].replace("fevrier", "février").replace("aout", "août").replace(
        "decembre", "décembre"
    )
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {month} {value.year}"


def join_sentences(parts: Iterable[str | None]) -> str | None:
    """Non-empty parts joined as sentences, or None."""
    kept = [p.strip() for p in parts if p and p.strip()]
    if not kept:
        return None
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in kept)
