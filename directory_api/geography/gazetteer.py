"""Offline gazetteer of Île-de-France: resolves what people type into places.

People type place names badly (SMS style, no accents, typos, abbreviations, « je suis à bobigny »).
`Gazetteer.search` returns ranked candidates (communes, Paris arrondissements, postcodes, départements,
rail stations), `Gazetteer.resolve` the best one when it is confident enough.

Data: `data/places/*.jsonl` only (built by `directory_api.geography.build`), nothing outside the
repository at run time.

Matching, on both names and queries:
- `text.words` (lowercase, accents folded, elisions dropped), letters and digits split (`paris13`),
  abbreviations expanded (`st` → saint, `ste` → sainte, `pte` → porte…), connecting words dropped
  (de, du, la, le, les, sur, sous, en, et, à…): « Le Pré-Saint-Gervais » and « pre st gervais » give the
  same key `pre saint gervais`, « Gare de Lyon » and « gare lyon » give `gare lyon`;
- leading filler words of the query are dropped (« je suis à », « près de », « j'habite »), then, in a
  second variant, station words (« gare », « métro », « station », « rer ») that also tell that a
  station is meant;
- Paris arrondissements (`13e`, `paris 13`, `13ème arrondissement`, `1er`), postcodes and département
  codes are recognised by pattern; a trailing or leading département code or postcode (`montreuil 93`,
  `93100 montreuil`) or a parenthesised qualifier (labels such as « Montreuil (93) ») narrows the
  candidates;
- then tiers: exact key (1.0; other names of a place 0.95: former communes, stations' other names),
  partial key (the name before its first connecting word: `ivry` for Ivry-sur-Seine, or its first word)
  and word prefix (0.92), fuzzy match by edit distance (rapidfuzz OSA, only from 5 letters, at most 1
  edit up to 7 letters, 2 up to 11, 3 beyond; 0.88 − 0.35 × edits / letters, first letter must match up
  to 7 letters), partial last word (0.72), and, when the whole query matched nothing, exact names inside
  a longer sentence (0.85); a station scores × 0.97 unless the query names a station (« gare », « métro »…),
  × 0.8 when its name is that of a commune (« Saint-Ouen », « Juvisy »: the town is meant);
- ties (scores within 0.03) share the confidence by importance (population for communes, lines for
  stations): score × (1 − 0.3 × (1 − share)); a light bonus for importance orders the rest. So
  `st-ouen` is Saint-Ouen-sur-Seine (93) at ~0.81 then Saint-Ouen-l'Aumône (95) at ~0.72, and
  `villeneuve` or `noisy` are ambiguous (no candidate reaches RESOLVE_MIN, `resolve` gives None).

Places outside Île-de-France are not in the data, and short or weak matches are not accepted, so that
`Lyon`, `Marseille` or `69001` give no candidate rather than a village with a similar name; a short list
of well-known towns elsewhere in France (OUTSIDE_IDF_TOWNS) stops fuzzy and prefix matches that are at
least as close to one of them (`Chartres` is not Châtres (77), `Limoges` not Limoges-Fourches (77)).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel
from rapidfuzz import process
from rapidfuzz.distance import OSA

from directory_api.geography.communes import IDF_DEPARTMENTS, Commune, CommuneIndex
from directory_api.geography.stations import Station, distance_km, read_jsonl
from directory_api.text import words

MAX_QUERY_CHARS = 160  # longer input is a message, not a place name: read as a message (`_in_message`)
MAX_QUERY_WORDS = 12
MAX_MESSAGE_CHARS = 1000  # longer still: no candidate
_CLAUSES = re.compile(r"[,;.!?:\n]+")
RESOLVE_MIN = 0.8  # `resolve` returns the best candidate only from this score
MIN_SCORE = 0.6  # weaker candidates are noise and are not returned

TIER_EXACT = 1.0
TIER_ALIAS = 0.95  # former commune, other names of a station
TIER_PARTIAL = 0.92  # name before its first connecting word, first word, word prefix
TIER_CHAR_PREFIX = 0.72  # last word typed partially: `montr`
TIER_IN_SENTENCE = 0.85  # exact name found inside a longer query
TIER_CUED_PARTIAL = 0.97  # inside a message, a shortened name right after a word that introduces a place
FUZZY_BEST = 0.88  # minus FUZZY_EDIT_COST × edits / letters
FUZZY_EDIT_COST = 0.35
FUZZY_FIRST_LETTER = 0.05  # people rarely get the first letter wrong (refused up to 7 letters)
STATION_FACTOR = 0.97  # a bare name means the town more often than the station
EPONYMOUS_STATION_FACTOR = 0.8  # station named after its own commune (« Saint-Ouen », « Juvisy »): the town
EPONYMOUS_MAX_KM = 6.0
NON_STATION_WHEN_HINTED = 0.9  # « gare de X », « métro X »: stations first
TIE_WINDOW = 0.03  # matches this close are tied…
TIE_PENALTY = 0.3  # …and share the confidence by importance: score × (1 − 0.3 × (1 − share))

CONNECTORS = frozenset("a au aux d de des du en et l la le les sous sur".split())
ABBREVIATIONS = {
    "st": ("saint",),
    "ste": ("sainte",),
    "sts": ("saints",),
    "stes": ("saintes",),
    "pte": ("porte",),
    "gde": ("grande",),
    "gd": ("grand",),
    "bd": ("boulevard",),
    "bld": ("boulevard",),
    "av": ("avenue",),
    "ave": ("avenue",),
    "pl": ("place",),
    "univ": ("universite",),
    "paname": ("paris",),
    "pantruche": ("paris",),
}
# Words right before a place in a message (« jsuis a levallois », « jhabite villiers le bel »): a name found
# inside a message only counts after one of them, unless it has several words (« noisy le grand »).
PLACE_CUES = frozenset(
    """a au aux sur vers pres cote dans de du en habite habites habitons jhabite vis suis sui jsuis jsui chui chuis
    sommes secteur domicilie domiciliee""".split()
)
FILLERS = frozenset(
    """je j suis sui chui chuis jsui jsuis habite habites habitons vis vit dors dort dormir trouve
    trouvons situe situee cest c est on ici vers pres proche cote coin autour dans ds chez
    ville commune quartier secteur region departement dept dpt dep pour aller rendez vous rdv""".split()
) | CONNECTORS
STATION_WORDS = frozenset("gare gares metro metros station stations rer tram tramway arret m".split())
# First words too common to stand for a place on their own.
GENERIC_FIRST_WORDS = frozenset(
    """saint sainte saints porte mairie gare place pont avenue rue boulevard parc hopital aeroport
    centre stade marche eglise cite square quai chateau route croix zac val bois mont petit grand
    grande vieux""".split()
)
ORDINALS = frozenset("e eme em er ere ieme iem ier me".split())
ARRONDISSEMENT_WORDS = frozenset("arrondissement arrondissements arrondisement arondissement arr arrt arrdt ardt arrond".split())
DEPARTMENT_EXTRA_KEYS = {"93": ("neuf trois", "9 3", "neuf cube"), "95": ("val doise",), "77": ("seine marne",)}
LINE_MODE_ORDER = ("RER", "METRO", "TRAIN", "TRAM", "CDGVAL", "ORLYVAL", "FUNICULAIRE", "CABLE")

# Well-known towns outside Île-de-France (préfectures, large towns, towns near the region): a query that
# names one of them, or is closer to one of them than to any name of the region, gets no candidate rather
# than a village of the region with a similar name (« Chartres » is not Châtres (77)). Names that are
# also stations in Paris (Rennes, Anvers…) still find the station, as an exact name of the region wins.
OUTSIDE_IDF_TOWNS = (
    "Agen, Aix-en-Provence, Ajaccio, Albi, Alençon, Alès, Amiens, Angers, Angoulême, Annecy, Antibes, "
    "Arles, Arras, Auch, Aurillac, Auxerre, Avignon, Bar-le-Duc, Bastia, Bayonne, Beauvais, Belfort, "
    "Besançon, Béziers, Biarritz, Blois, Bordeaux, Boulogne-sur-Mer, Bourg-en-Bresse, Bourges, Brest, "
    "Brive-la-Gaillarde, Caen, Cahors, Calais, Cannes, Carcassonne, Chalon-sur-Saône, "
    "Châlons-en-Champagne, Chambéry, Chantilly, Charleville-Mézières, Chartres, Château-Thierry, "
    "Châteauroux, Chaumont, Cherbourg, Clermont-Ferrand, Colmar, Compiègne, Creil, Digne-les-Bains, "
    "Dijon, Dreux, Dunkerque, Épinal, Évreux, Foix, Fréjus, Gap, Gisors, Grenoble, Guéret, Hyères, "
    "La Rochelle, La Roche-sur-Yon, Laon, Laval, Le Havre, Le Mans, Le Puy-en-Velay, Lens, Lille, "
    "Limoges, Lons-le-Saunier, Lorient, Lourdes, Lyon, Mâcon, Marseille, Mende, Metz, Montargis, "
    "Montauban, Mont-de-Marsan, Montpellier, Moulins, Mulhouse, Nancy, Nantes, Nevers, Nice, Nîmes, "
    "Niort, Orléans, Pau, Périgueux, Perpignan, Poitiers, Privas, Quimper, Reims, Rennes, Roanne, Rodez, "
    "Roubaix, Rouen, Saint-Brieuc, Saint-Étienne, Saint-Lô, Saint-Malo, Saint-Nazaire, Saint-Quentin, "
    "Senlis, Sens, Soissons, Strasbourg, Tarbes, Toulon, Toulouse, Tourcoing, Tours, Troyes, Tulle, "
    "Valence, Valenciennes, Vannes, Vénissieux, Vernon, Vesoul, Vichy, Villeurbanne"
).split(", ")

_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_PARENS = re.compile(r"\(([^)]*)\)")


class PlaceKind(StrEnum):
    COMMUNE = "commune"
    ARRONDISSEMENT = "arrondissement"
    POSTCODE = "postcode"
    DEPARTMENT = "department"
    STATION = "station"


class Place(BaseModel):
    label: str  # French display: "Montreuil (93)", "Paris 13e", "Seine-Saint-Denis (93)"…
    kind: PlaceKind
    insee_code: str | None  # commune (current commune for a former one) or arrondissement
    postcode: str | None  # when the place has one postcode (or was asked by postcode)
    department: str
    lat: float
    lon: float
    score: float  # 0..1, confidence that this is the place meant
    radius_km: float  # default search radius around the place


@dataclass(slots=True)
class _Target:
    key: str  # identity, for de-duplication
    kind: PlaceKind
    label: str
    insee_code: str | None
    postcode: str | None
    department: str
    lat: float
    lon: float
    radius_km: float
    importance: float  # population, or its equivalent for stations
    is_station: bool = False
    is_eponymous: bool = False  # station named after its own commune
    postcodes: tuple[str, ...] = ()
    current: bool = True  # False for a former commune

    @property
    def importance_factor(self) -> float:
        norm = (math.log10(max(self.importance, 1.0)) - 2.0) / 4.5
        return 0.97 + 0.03 * min(1.0, max(0.0, norm))

    def place(self, score: float, **update: object) -> Place:
        return Place(
            label=self.label,
            kind=self.kind,
            insee_code=self.insee_code,
            postcode=self.postcode,
            department=self.department,
            lat=self.lat,
            lon=self.lon,
            score=round(min(1.0, max(0.0, score)), 4),
            radius_km=self.radius_km,
        ).model_copy(update=update)


def key_words(text: str) -> list[str]:
    """Matching words of a name or a query (connecting words kept: see `strip_connectors`)."""
    folded = _LETTER_DIGIT.sub(" ", " ".join(words(text)))
    out: list[str] = []
    for word in folded.split():
        out.extend(ABBREVIATIONS.get(word, (word,)))
    return out


def strip_connectors(ws: list[str]) -> list[str]:
    return [w for w in ws if w not in CONNECTORS]


def name_key(text: str) -> str:
    return " ".join(strip_connectors(key_words(text)))


def partial_keys(text: str) -> list[str]:
    """Shorter keys a name is also known by: before its first connecting word, its first word."""
    ws = key_words(text)
    while ws and ws[0] in CONNECTORS:  # leading article
        ws = ws[1:]
    out: list[str] = []
    for i, w in enumerate(ws):
        if i > 0 and w in CONNECTORS:
            head = " ".join(strip_connectors(ws[:i]))
            if head and head not in GENERIC_FIRST_WORDS:
                out.append(head)
            break
    content = strip_connectors(ws)
    if len(content) > 1 and len(content[0]) >= 5 and content[0] not in GENERIC_FIRST_WORDS:
        out.append(content[0])
    full = " ".join(content)
    return [k for k in dict.fromkeys(out) if k != full]


def commune_radius_km(commune: Commune) -> float:
    """Default search radius: grows with population; wider in the less dense outer départements."""
    if commune.insee_code == "75056":
        return 6.0
    population = max(commune.population or 0, 1000)
    radius = 1.5 + 0.75 * math.log10(population / 5000) if population > 5000 else 1.5
    if commune.department not in ("75", "92", "93", "94"):
        radius += 1.0
    return round(min(radius, 4.5), 1)


def _short_arrondissement(name: str) -> str:
    return name.removesuffix(" Arrondissement")


def _department_label(code: str) -> str:
    return f"{IDF_DEPARTMENTS[code]} ({code})"


def _station_label(station: Station) -> str:
    if station.insee_code.startswith("751"):
        where = station.commune
    elif set(name_key(station.commune).split()) <= set(name_key(station.name).split()):
        where = station.department
    else:
        where = f"{station.commune}, {station.department}"
    shown = [line for line in station.lines if line != "GL"]
    shown.sort(key=lambda line: next((i for i, m in enumerate(LINE_MODE_ORDER) if line.startswith(m)), 99))
    lines = ", ".join(shown[:4]) + ("…" if len(shown) > 4 else "")
    name = _PARENS.sub(lambda m: f"– {m.group(1)}", station.name).strip()  # no nested parentheses
    return f"{name} ({where})" + (f" — {lines}" if lines else "")


@dataclass(slots=True)
class _Query:
    variants: list[tuple[str, bool]]  # (key, station hinted)
    department: str | None = None
    postcode: str | None = None
    insee_codes: frozenset[str] | None = None
    station: bool = False  # the query names a station (a station label)


class Gazetteer:
    def __init__(self, communes: CommuneIndex, stations: list[Station], former_names: list[dict] | None = None):
        self._targets: list[_Target] = []
        self._entries: dict[str, dict[int, float]] = defaultdict(dict)  # key → target → weight
        self._postcodes: dict[str, list[int]] = defaultdict(list)
        self._arrondissements: dict[int, int] = {}
        self._departments: dict[str, int] = {}
        self._by_insee: dict[str, int] = {}
        # Every leading run of words of a commune's keys → the communes (to spot stations named after them).
        self._commune_prefixes: dict[str, list[int]] = defaultdict(list)
        self._outside = sorted({name_key(town) for town in OUTSIDE_IDF_TOWNS})

        current = [c for c in communes.communes if c.kind in ("commune", "arrondissement_municipal")]
        by_code = {c.insee_code: c for c in current}
        for commune in current:
            self._add_commune(commune)
        if former_names is None:  # fall back on the former communes of communes.jsonl
            former_names = [
                {"insee_code": c.insee_code, "name": c.name, "current_code": c.parent}
                for c in communes.communes
                if c.kind in ("commune_deleguee", "commune_associee")
            ]
        for row in former_names:
            parent = by_code.get(row["current_code"] or "")
            if parent is not None and name_key(row["name"]) != name_key(parent.name):
                self._add_former(row["name"], parent)
        self._add_departments(current)
        for station in stations:
            if station.department in IDF_DEPARTMENTS:
                self._add_station(station)

        self._keys = sorted(self._entries)
        self._fuzzy_keys = [k for k in self._keys if len(k) >= 4 and not k.replace(" ", "").isdigit()]
        self._entries = dict(self._entries)

    # ---- construction -------------------------------------------------------------------------

    def _new_target(self, target: _Target) -> int:
        self._targets.append(target)
        return len(self._targets) - 1

    def _index(self, key: str, target: int, weight: float) -> None:
        if key and weight > self._entries[key].get(target, 0.0):
            self._entries[key][target] = weight

    def _index_name(self, name: str, target: int, weight: float = TIER_EXACT) -> None:
        self._index(name_key(name), target, weight)
        for partial in partial_keys(name):
            self._index(partial, target, min(weight, TIER_PARTIAL))

    def _add_commune(self, commune: Commune) -> None:
        if commune.kind == "arrondissement_municipal":
            number = int(commune.insee_code[-2:])
            idx = self._new_target(
                _Target(
                    key=f"insee:{commune.insee_code}",
                    kind=PlaceKind.ARRONDISSEMENT,
                    label=_short_arrondissement(commune.name),
                    insee_code=commune.insee_code,
                    postcode=commune.postcodes[0] if commune.postcodes else None,
                    department=commune.department,
                    lat=commune.lat,
                    lon=commune.lon,
                    radius_km=2.0,
                    importance=commune.population or 0,
                    postcodes=commune.postcodes,
                )
            )
            self._arrondissements[number] = idx
            self._by_insee[commune.insee_code] = idx
            for postcode in commune.postcodes:
                self._postcodes[postcode].append(idx)
            return
        paris = commune.insee_code == "75056"
        idx = self._new_target(
            _Target(
                key=f"insee:{commune.insee_code}",
                kind=PlaceKind.COMMUNE,
                label="Paris" if paris else f"{commune.name} ({commune.department})",
                insee_code=commune.insee_code,
                postcode=commune.postcodes[0] if len(commune.postcodes) == 1 else None,
                department=commune.department,
                lat=commune.lat,
                lon=commune.lon,
                radius_km=commune_radius_km(commune),
                importance=commune.population or 0,
                postcodes=commune.postcodes,
            )
        )
        self._by_insee[commune.insee_code] = idx
        self._index_name(commune.name, idx)
        for key in [name_key(commune.name), *partial_keys(commune.name)]:
            parts = key.split()
            for n in range(1, len(parts) + 1):
                self._commune_prefixes[" ".join(parts[:n])].append(idx)
        if not paris:
            for postcode in commune.postcodes:
                self._postcodes[postcode].append(idx)

    def _add_former(self, name: str, parent: Commune) -> None:
        parent_idx = self._by_insee[parent.insee_code]
        base = self._targets[parent_idx]
        idx = self._new_target(
            _Target(
                key=base.key,  # the same place as the current commune
                kind=PlaceKind.COMMUNE,
                label=f"{name} ({parent.name}, {parent.department})",
                insee_code=parent.insee_code,
                postcode=None,
                department=parent.department,
                lat=base.lat,
                lon=base.lon,
                radius_km=base.radius_km,
                importance=base.importance / 4,
                postcodes=base.postcodes,
                current=False,
            )
        )
        self._index_name(name, idx, TIER_ALIAS)

    def _add_departments(self, communes: list[Commune]) -> None:
        members: dict[str, list[Commune]] = defaultdict(list)
        for commune in communes:
            if commune.kind == "commune":
                members[commune.department].append(commune)
        for code, name in IDF_DEPARTMENTS.items():
            group = members.get(code, [])
            population = sum(c.population or 0 for c in group) or 1
            lat = sum(c.lat * (c.population or 0) for c in group) / population
            lon = sum(c.lon * (c.population or 0) for c in group) / population
            if code == "75":
                radius = 6.0
            else:
                spread = sorted(distance_km(lat, lon, c.lat, c.lon) for c in group)
                radius = round(min(25.0, max(8.0, spread[int(0.8 * (len(spread) - 1))])), 1)
            idx = self._new_target(
                _Target(
                    key=f"dep:{code}",
                    kind=PlaceKind.DEPARTMENT,
                    label=_department_label(code),
                    insee_code=None,
                    postcode=None,
                    department=code,
                    lat=round(lat, 5),
                    lon=round(lon, 5),
                    radius_km=radius,
                    importance=population,
                )
            )
            self._departments[code] = idx
            self._index(code, idx, TIER_EXACT)
            if code != "75":  # « Paris » is the commune
                self._index(name_key(name), idx, TIER_EXACT)
            for extra in DEPARTMENT_EXTRA_KEYS.get(code, ()):
                self._index(extra, idx, TIER_EXACT)

    def _add_station(self, station: Station) -> None:
        idx = self._new_target(
            _Target(
                key=f"station:{station.id}",
                kind=PlaceKind.STATION,
                label=_station_label(station),
                insee_code=station.insee_code,
                postcode=None,
                department=station.department,
                lat=station.lat,
                lon=station.lon,
                radius_km=1.0,
                importance=1000.0 * len(station.lines) * (3 if station.principal else 1),
                is_station=True,
            )
        )
        arrondissement_or_commune = self._by_insee.get(station.insee_code)
        if arrondissement_or_commune is not None:
            target = self._targets[idx]
            postcodes = self._targets[arrondissement_or_commune].postcodes
            target.postcodes = postcodes
            target.postcode = postcodes[0] if len(postcodes) == 1 else None
        bare = _PARENS.sub(" ", station.name).strip()
        # Named after a commune it lies in or near (« Saint-Ouen », « Champigny » in Saint-Maur), not
        # after a faraway one (« Châtelet » in Paris is not Le Châtelet-en-Brie).
        self._targets[idx].is_eponymous = any(
            distance_km(station.lat, station.lon, self._targets[c].lat, self._targets[c].lon) <= EPONYMOUS_MAX_KM
            for c in self._commune_prefixes.get(name_key(bare), ())
        )
        self._index_name(station.name, idx)
        if bare != station.name:
            self._index_name(bare, idx)
        # « Gare d'Austerlitz » is also « Austerlitz », « Aéroport CDG 1 » « CDG 1 »; not « Gare de Lyon »
        # « Lyon » nor « Gare du Nord » « Nord »: only names of 6 letters or more.
        ws = strip_connectors(key_words(bare))
        if len(ws) > 1 and ws[0] in ("gare", "aeroport") and len("".join(ws[1:])) >= 6:
            self._index(" ".join(ws[1:]), idx, TIER_ALIAS)
        for alias in station.aliases:
            self._index_name(alias, idx, TIER_ALIAS)

    @classmethod
    def load(cls, places_dir: Path) -> Gazetteer:
        """Load from `places_dir` (data/places): communes.jsonl, stations.jsonl, former-communes.jsonl."""
        communes = CommuneIndex.from_jsonl(places_dir / "communes.jsonl")
        stations_path = places_dir / "stations.jsonl"
        stations = read_jsonl(stations_path) if stations_path.exists() else []
        former_path = places_dir / "former-communes.jsonl"
        former = None
        if former_path.exists():
            with former_path.open(encoding="utf-8") as handle:
                former = [json.loads(line) for line in handle if line.strip()]
        return cls(communes, stations, former)

    # ---- counts -------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for target in self._targets:
            name = "former_commune" if not target.current else str(target.kind)
            out[name] += 1
        return dict(out)

    # ---- query --------------------------------------------------------------------------------

    def resolve(self, q: str) -> Place | None:
        """The best candidate when its score reaches RESOLVE_MIN, else None (unknown or ambiguous)."""
        found = self.search(q, limit=1)
        return found[0] if found and found[0].score >= RESOLVE_MIN else None

    def search(self, q: str, limit: int = 5) -> list[Place]:
        """Candidates for what a person typed, best first (empty when nothing fits). A whole message (« je
        voudrais un dépistage, je suis à Levallois, c'est possible samedi ? ») is read for the place it names."""
        if not isinstance(q, str) or not q.strip() or len(q) > MAX_MESSAGE_CHARS or limit <= 0:
            return []
        name = q.partition("—")[0]  # a station label's lines are not words of a message
        if len(name) > MAX_QUERY_CHARS or len(key_words(name)) > MAX_QUERY_WORDS:
            return self._rank(self._in_message(q), _Query(variants=[]))[:limit]
        found = self._search_name(q, limit)
        if not found and len(key_words(q)) >= 3:
            return self._rank(self._in_message(q), _Query(variants=[]))[:limit]
        return found

    def _search_name(self, q: str, limit: int) -> list[Place]:
        main, dash, _ = q.partition("—")  # a station label: « Gare du Nord (Paris 10e) — RER B… »
        qualifiers = [part for inner in _PARENS.findall(main) for part in inner.split(",")]
        main = _PARENS.sub(" ", main)
        if "," in main:
            main, *rest = main.split(",")
            qualifiers.extend(rest)
        ws = key_words(main)
        if not ws or len(ws) > MAX_QUERY_WORDS:
            return []
        stripped = self._strip_fillers(ws)

        # Codes alone: postcode, département (« 93100 », « le 9-3 », « j'habite 75013 »).
        if all(w.isdigit() for w in stripped):
            return self._codes("".join(stripped))[:limit]

        query = _Query(variants=[], station=bool(dash))
        for qualifier in qualifiers:
            if not self._apply_qualifier(query, qualifier):
                return []  # qualified by a place outside Île-de-France
        arrondissement = self._arrondissement(stripped)
        if arrondissement is not None:
            return [self._targets[arrondissement].place(TIER_EXACT)]

        if len(stripped) >= 2 and not self._entries.get(" ".join(strip_connectors(stripped))):
            # A département code or postcode before or after the name narrows it.
            for position in (-1, 0):
                word = stripped[position]
                if position == -1 and stripped[-2] == "paris":
                    continue  # « … paris 13 » in a sentence: an arrondissement, found below
                if word.isdigit() and len(word) in (2, 5):
                    if not self._apply_qualifier(query, word):
                        return []
                    stripped = stripped[:-1] if position == -1 else stripped[1:]
                    break

        self._add_variants(query, ws, stripped)
        if not query.variants:
            return []
        scored = self._match(query)
        if not scored and len(stripped) >= 2:
            scored = self._in_sentence(strip_connectors(stripped))
        return self._rank(scored, query)[:limit]

    def _codes(self, digits: str) -> list[Place]:
        if len(digits) == 2 and digits in self._departments:
            return [self._targets[self._departments[digits]].place(TIER_EXACT)]
        if len(digits) == 5 and digits in self._postcodes:
            scored = {idx: TIER_EXACT for idx in self._postcodes[digits]}
            query = _Query(variants=[], postcode=digits)
            return self._rank(scored, query)
        return []

    def _apply_qualifier(self, query: _Query, text: str) -> bool:
        """Narrow the query by a département code, postcode or commune; False if it points outside IDF."""
        ws = key_words(text)
        if not ws:
            return True
        digits = "".join(ws)
        if digits.isdigit():
            if len(digits) == 2:
                if digits not in IDF_DEPARTMENTS:
                    return False
                query.department = digits
            elif len(digits) == 5:
                if digits not in self._postcodes:
                    return False
                query.postcode = digits
            return True
        arrondissement = self._arrondissement(ws)
        if arrondissement is not None:
            query.insee_codes = frozenset({self._targets[arrondissement].insee_code or ""})
            return True
        found = self._entries.get(" ".join(strip_connectors(ws)), {})
        codes = {
            self._targets[idx].insee_code
            for idx, weight in found.items()
            if weight >= TIER_ALIAS and self._targets[idx].kind == PlaceKind.COMMUNE
        }
        departments = {self._targets[idx].department for idx in found if self._targets[idx].kind == PlaceKind.DEPARTMENT}
        if codes:
            query.insee_codes = frozenset(c for c in codes if c)
        elif departments:
            query.department = departments.pop()
        return True

    @staticmethod
    def _strip_fillers(ws: list[str]) -> list[str]:
        start = 0
        while start < len(ws) - 1 and ws[start] in FILLERS:
            start += 1
        rest = ws[start:]
        return [] if len(rest) == 1 and rest[0] in CONNECTORS else rest

    def _arrondissement(self, ws: list[str]) -> int | None:
        """`13e`, `paris 13`, `13eme arrondissement`, `paris13`, `1er`, `arrondissement 13`…"""
        if not ws or len(ws) > 5:
            return None
        has_paris = ws[0] == "paris" or ws[-1] == "paris"
        inner = [w for w in ws if w != "paris"]
        if not inner:
            return None
        explicit = False
        if inner[0] in ARRONDISSEMENT_WORDS:
            inner, explicit = inner[1:], True
        if not inner or not inner[0].isdigit():
            return None
        number, tail = int(inner[0]), inner[1:]
        if tail and tail[0] in ORDINALS:
            tail, explicit = tail[1:], True
        if tail and tail[0] in ARRONDISSEMENT_WORDS:
            tail, explicit = tail[1:], True
        if tail or not (has_paris or explicit) or len(inner[0]) > 2:
            return None
        return self._arrondissements.get(number)

    def _add_variants(self, query: _Query, ws: list[str], stripped: list[str]) -> None:
        seen: set[str] = set()

        def add(words_: list[str], hinted: bool) -> None:
            key = " ".join(strip_connectors(words_))
            if key and key not in seen:
                seen.add(key)
                query.variants.append((key, hinted))

        add(stripped, query.station)
        rest = stripped
        hinted = query.station
        while len(rest) > 1 and (rest[0] in STATION_WORDS or rest[0] in CONNECTORS):
            hinted = hinted or rest[0] in STATION_WORDS
            rest = rest[1:]
        if hinted:
            add(rest, True)
            query.variants[0] = (query.variants[0][0], True)  # « gare de lyon » is a station too
        if stripped != ws:
            add(ws, False)
        # Elision typed without its apostrophe: « lhay les roses », « lile saint denis », « daubervilliers ».
        first = stripped[0] if stripped else ""
        if len(first) >= 4 and first[0] in "ld" and first[1] in "aeiouh":
            add([first[1:], *stripped[1:]], hinted)

    def _match(self, query: _Query) -> dict[int, float]:
        scored: dict[int, float] = {}

        def hit(idx: int, score: float, hinted: bool) -> None:
            target = self._targets[idx]
            if target.is_station:
                if target.is_eponymous and not hinted:
                    score *= EPONYMOUS_STATION_FACTOR
                elif not hinted:
                    score *= STATION_FACTOR
            elif hinted:
                score *= NON_STATION_WHEN_HINTED
            if score > scored.get(idx, 0.0):
                scored[idx] = score

        exact_found = False
        partial: list[tuple[str, bool, int]] = []  # variants left for fuzzy matching
        for key, hinted in query.variants:
            if exact_found:
                break  # « gare du nord » found: no need to look for « nord »
            for idx, weight in self._entries.get(key, {}).items():
                hit(idx, weight, hinted)
                exact_found = exact_found or weight >= TIER_ALIAS
            # Closer to a well-known town outside the region than to a name of the region: no
            # prefix nor fuzzy match (« le havre » is not « Havre - Caumartin »).
            outside_edits = self._outside_edits(key)
            if not outside_edits:
                continue
            partial.append((key, hinted, outside_edits))
            # Word prefix (« saint maur » → « saint maur fosses ») and partial last word (« montr »).
            start = bisect.bisect_left(self._keys, key)
            letters = len(key.replace(" ", ""))
            for other in self._keys[start : start + 400]:
                if not other.startswith(key):
                    break
                if other == key:
                    continue
                if other[len(key)] == " ":
                    tier = TIER_PARTIAL
                elif letters >= 4 and len(key.split()[-1]) >= 3:
                    tier = TIER_CHAR_PREFIX
                else:
                    continue
                for idx, weight in self._entries[other].items():
                    hit(idx, tier * min(1.0, weight / TIER_ALIAS), hinted)
        if exact_found:
            return scored
        for key, hinted, outside_edits in partial:
            letters = len(key.replace(" ", ""))
            if letters < 5 or key.replace(" ", "").isdigit():
                continue
            max_edits = 1 if letters <= 7 else 2 if letters <= 11 else 3
            for other, edits, _ in process.extract(
                key, self._fuzzy_keys, scorer=OSA.distance, score_cutoff=max_edits, limit=12
            ):
                if edits == 0 or edits >= outside_edits:
                    continue
                tier = FUZZY_BEST - FUZZY_EDIT_COST * edits / max(letters, len(other.replace(" ", "")))
                if other[0] != key[0]:
                    if letters <= 7:
                        continue
                    tier -= FUZZY_FIRST_LETTER
                for idx, weight in self._entries[other].items():
                    if letters <= 6 and weight < TIER_ALIAS:
                        continue  # a short word with a typo against a partial name: too weak
                    hit(idx, tier * weight, hinted)
        return scored

    def _outside_edits(self, key: str) -> int:
        """Edit distance to the nearest well-known town outside Île-de-France (99 when far from all)."""
        letters = len(key.replace(" ", ""))
        if letters < 5:
            return 0 if key in self._outside else 99
        max_edits = 1 if letters <= 7 else 2 if letters <= 11 else 3
        found = process.extractOne(key, self._outside, scorer=OSA.distance, score_cutoff=max_edits)
        return 99 if found is None else int(found[1])

    def _in_sentence(self, ws: list[str]) -> dict[int, float]:
        """Exact names inside a longer query (« cherche foyer bobigny »), longest first."""
        for size in range(min(len(ws) - 1, 6), 0, -1):
            scored: dict[int, float] = {}
            for start in range(len(ws) - size + 1):
                window = ws[start : start + size]
                arrondissement = self._arrondissement(window) if size >= 2 else None
                if arrondissement is not None:
                    scored[arrondissement] = max(scored.get(arrondissement, 0.0), TIER_IN_SENTENCE)
                    continue
                key = " ".join(window)
                if len(key) < 4 or key.isdigit():
                    continue
                for idx, weight in self._entries.get(key, {}).items():
                    if weight >= TIER_ALIAS:
                        target = self._targets[idx]
                        score = TIER_IN_SENTENCE * weight * (STATION_FACTOR if target.is_station else 1.0)
                        scored[idx] = max(scored.get(idx, 0.0), score)
            if scored:
                return scored
        return {}

    def _in_message(self, message: str) -> dict[int, float]:
        """Places named inside a message, the longest name first: a postcode or an arrondissement anywhere; a
        name of several words anywhere; a one-word name only at the start of a clause or right after a word that
        introduces a place (« ma mère » is not Méré, « une bourse » is not the station); a shortened one
        (« levallois », « choisy ») only right after such a word (« bonne soirée » is not Bonne Nouvelle)."""
        ws: list[str] = []
        clause_starts: set[int] = set()
        for clause in _CLAUSES.split(message):
            clause_starts.add(len(ws))
            ws.extend(key_words(clause))
        for size in range(min(len(ws), 6), 0, -1):
            scored: dict[int, float] = {}
            for start in range(len(ws) - size + 1):
                window = ws[start : start + size]
                after_cue = start > 0 and ws[start - 1] in PLACE_CUES
                cued = after_cue or start in clause_starts
                if size == 1 and window[0].isdigit():
                    word = window[0]
                    if len(word) == 5:  # a postcode: « domiciliée au 77100 »
                        for idx in self._postcodes.get(word, ()):
                            scored[idx] = TIER_IN_SENTENCE
                    elif len(word) == 2 and start and ws[start - 1] == "le" and word in self._departments:
                        scored[self._departments[word]] = TIER_IN_SENTENCE  # « dans le 91 »
                    continue
                arrondissement = self._arrondissement(window) if size >= 2 else None
                if arrondissement is not None:
                    scored[arrondissement] = max(scored.get(arrondissement, 0.0), TIER_EXACT)
                    continue
                if window[0] in CONNECTORS or window[-1] in CONNECTORS:
                    continue
                key = " ".join(strip_connectors(window))
                if len(key) < 4 or key.isdigit() or not (cued or len(strip_connectors(window)) >= 2):
                    continue
                for idx, weight in self._entries.get(key, {}).items():
                    if weight < TIER_ALIAS and not (after_cue and weight >= TIER_PARTIAL):
                        continue
                    target = self._targets[idx]
                    score = TIER_IN_SENTENCE * max(weight, TIER_CUED_PARTIAL) * (STATION_FACTOR if target.is_station else 1.0)
                    scored[idx] = max(scored.get(idx, 0.0), score)
            if scored:
                return scored
        return {}

    def _rank(self, scored: dict[int, float], query: _Query) -> list[Place]:
        items = []
        for idx, raw in scored.items():
            target = self._targets[idx]
            if query.department and target.department != query.department:
                continue
            if query.postcode and query.postcode not in target.postcodes:
                continue
            if query.insee_codes is not None and target.insee_code not in query.insee_codes:
                continue
            items.append((raw, target))
        # Best name per place (a former commune and its current commune are one place).
        best: dict[str, tuple[float, _Target]] = {}
        for raw, target in items:
            previous = best.get(target.key)
            if previous is None or (raw, target.current) > (previous[0], previous[1].current):
                best[target.key] = (raw, target)
        ordered = sorted(best.values(), key=lambda rt: (-rt[0], -rt[1].importance))
        # Places tied on the match share the confidence, by importance.
        results: list[tuple[float, float, _Target]] = []
        i = 0
        while i < len(ordered):
            top = ordered[i][0]
            j = i
            while j < len(ordered) and ordered[j][0] >= top - TIE_WINDOW:
                j += 1
            group = ordered[i:j]
            total = sum(max(t.importance, 1.0) for _, t in group)
            for raw, target in group:
                share = max(target.importance, 1.0) / total
                score = raw * (1.0 - TIE_PENALTY * (1.0 - share)) * target.importance_factor
                if score >= MIN_SCORE:
                    results.append((score, target.importance, target))
            i = j
        results.sort(key=lambda r: (-r[0], -r[1]))
        places = []
        for score, _, target in results:
            if query.postcode and target.kind in (PlaceKind.COMMUNE, PlaceKind.POSTCODE):
                commune_name = target.label.rsplit(" (", 1)[0]
                places.append(
                    target.place(
                        score, kind=PlaceKind.POSTCODE, postcode=query.postcode, label=f"{query.postcode} {commune_name}"
                    )
                )
            elif query.postcode and target.kind == PlaceKind.ARRONDISSEMENT:
                places.append(target.place(score, postcode=query.postcode))
            else:
                places.append(target.place(score))
        return places
