"""FINESS establishments of Île-de-France, extraction of 8 January 2021.

Dataset: `../shared/datasets/finess-etablissements-idf/` (read its README). One row = one FINESS
*établissement* (ET). We keep the categories that serve people in precarity (see `_CATEGORY_RULES`
below: each entry says why it is in scope and which Soliguide categories it gets); every other
category is `out_of_scope` with the reason « catégorie FINESS <code> hors périmètre ».

Honesty rules applied here:
- FINESS says nothing about hours, prices or access rules. Hours stay `None` (unknown). Modalities
  are only set where a *legal rule* of the category fixes them (pharmacies: free emergency
  contraception since 2023; CAARUD / CSAPA / CeGIDD: free and anonymous; CHRS: admission through the
  SIAO / 115; PMI consultations: free...), and the rule is spelled out in French in the record.
- Hospitals (categories 101, 355, 365, 128...) are out of scope here: the hospitals that perform IVG
  come from the SAE mapping (`sae_ivg.py`), which borrows their FINESS coordinates and phone. No
  FINESS record ever claims `abortion`.
- The data is from January 2021: the API flags it as old through `data_date`; nothing is presented
  as current.
- Category 228 (CPEF, « centre de santé sexuelle » since 2022) gets contraception, emergency
  contraception, STI testing and information, not abortion (only SAE says who performs IVG).

The text helpers (`clean_name`, `format_street`, `resolve_commune`, `finess_rows`) are reused by the
SAE mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from rapidfuzz import fuzz

from directory_api.fetch.publications import DataGouvResource, FormatChanged, write_csv
from directory_api.geography.communes import Commune, CommuneIndex
from directory_api.models import (
    AdministrativeSituation,
    FamilySituation,
    Gender,
    Modalities,
    PublicGroup,
    Publics,
    Reject,
    Service,
    Structure,
    Welcome,
)
from directory_api.sources._places import commune_label  # « Paris 15e », as the other sources
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, french_phone, locate, parse_coordinates, read_csv
from directory_api.sources.data_inclusion import IDF_DEPARTMENTS
from directory_api.text import fold

INFO = SourceInfo(
    id="finess-etablissements-idf",
    title="FINESS — établissements sanitaires et sociaux d'Île-de-France (extraction géolocalisée)",
    publisher="Ministère chargé de la santé (FINESS), publié sur data.gouv.fr",
    licence="Licence Ouverte 2.0",
    licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    data_date=date(2021, 1, 8),
    url="https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
)

FILE_NAME = "finess_etablissements_idf_20210108.csv"  # the staged copy of ../shared/datasets
FETCHED_FILE_NAME = "finess_etablissements_idf.csv"  # what `directory fetch` makes of the current extraction

# The publisher's extraction (data.gouv.fr, « Extraction Finess des établissements géolocalisés », resource
# 98f3161f-79ff-4f16-8f6a-6d571a80fea2 in 2026, chosen by title since an upload can change it): one
# file, Latin-1, `;`, a first line `finess;etalab;…`, then `structureet` lines (one per établissement)
# and `geolocalisation` lines (its Lambert-93 position). Column lists from the data.gouv.fr resource
# description « Description des champs » of the dataset.
STRUCTUREET_FIELDS = (
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
    "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
    "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
)
GEOLOCALISATION_FIELDS = ("section", "nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")
STAGED_COLUMNS = (
    "nofinesset", "nofinessej", "rs", "siret", "adresse", "adresse_complement", "codepostal",
    "ville_acheminement", "departement", "telephone", "categetab", "libcategetab", "categagretab",
    "libcategagretab", "codeape", "codesph", "libsph", "dateouv", "datemaj", "coordxet", "coordyet", "lat", "lon",
)


def convert_extraction(raw: bytes, out_dir: Path) -> None:
    """The national extraction → the staged Île-de-France file (`FETCHED_FILE_NAME`), as documented in
    ../shared/datasets/finess-etablissements-idf/README.md: address parts joined (`numvoie typvoie compvoie
    voie`), « CP VILLE » split, département from the FINESS number, WGS84 from Lambert-93 (EPSG:2154)."""
    from pyproj import Transformer  # only the fetch needs it

    try:  # Latin-1 for years; read as UTF-8 when the publisher switches (every Latin-1 file is not UTF-8)
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    establishments: dict[str, list[str]] = {}
    positions: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        cells = line.split(";")
        if cells[0] == "structureet":
            if len(cells) != len(STRUCTUREET_FIELDS):
                raise FormatChanged(
                    f"format changé : ligne {number} « structureet » de {len(cells)} champs au lieu de {len(STRUCTUREET_FIELDS)}"
                )
            row = dict(zip(STRUCTUREET_FIELDS, cells, strict=True))
            if row["nofinesset"][:2] not in IDF_DEPARTMENTS:
                continue
            postcode, _, city = row["ligneacheminement"].partition(" ")
            street = " ".join(p for p in (row["numvoie"], row["typvoie"], row["compvoie"], row["voie"]) if p)
            establishments[row["nofinesset"]] = [
                row["nofinesset"], row["nofinessej"], row["rs"], row["siret"], street, row["lieuditbp"], postcode,
                city, row["nofinesset"][:2], row["telephone"], row["categetab"], row["libcategetab"],
                row["categagretab"], row["libcategagretab"], row["codeape"], row["codesph"], row["libsph"],
                row["dateouv"], row["datemaj"],
            ]
        elif cells[0] == "geolocalisation":
            if len(cells) != len(GEOLOCALISATION_FIELDS):
                raise FormatChanged(
                    f"format changé : ligne {number} « geolocalisation » de {len(cells)} champs au lieu de {len(GEOLOCALISATION_FIELDS)}"
                )
            positions[cells[1]] = (cells[2], cells[3])
    if not establishments:
        raise FormatChanged("format changé : aucune ligne « structureet » d'Île-de-France dans l'extraction")
    to_wgs84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    rows = []
    for finess in sorted(establishments):
        x, y = positions.get(finess, ("", ""))
        lat = lon = ""
        if x and y:
            longitude, latitude = to_wgs84.transform(float(x), float(y))
            lat, lon = f"{round(latitude, 7):.7f}", f"{round(longitude, 7):.7f}"  # 7 decimals (1 cm), as staged
        rows.append([*establishments[finess], x, y, lat, lon])
    write_csv(out_dir / FETCHED_FILE_NAME, STAGED_COLUMNS, rows, line_end="\r\n")


PUBLICATION = DataGouvResource(
    dataset="finess-extraction-du-fichier-des-etablissements",
    title=r"g[ée]olocalis",  # « Extraction Finess des établissements géolocalisés »
    raw_name="etalab-cs1100507-stock.csv",
    convert=convert_extraction,
    cadence="bimestrielle environ (data.gouv.fr)",
)

# ---------------------------------------------------------------------------------------------------
# French text: names and addresses from the all-caps FINESS fields
# ---------------------------------------------------------------------------------------------------

# Acronyms kept in capitals (tokens without any vowel, like CMP or CHRS, are kept too).
ACRONYMS = {
    "ACT", "ADEF", "AFTAM", "ALJT", "ALTHO", "AMH", "ANPAA", "ANRS", "APAS", "APLJM", "ARAPEJ", "ASE", "AUVM",
    "BAPU", "CAARUD", "CADA", "CAIR", "CAJ", "CAMSP", "CASP", "CASVP", "CATTP", "CCAS", "CDAG", "CEGIDD", "CESOA",
    "CHU", "CIDDIST", "CIDFF", "CLAT", "CLU", "CMPEA", "CMPI", "COPAL", "COS", "COSEM", "CPAM", "CPCV", "CPEF",
    "CPOA", "CRAMIF", "CSAPA", "CSA", "CTAR", "DASES", "DPHRS", "EGO", "EHPAD", "EMA", "EURL", "FMDC", "FTDA",
    "HUAS", "HUDA", "IDF", "II", "III", "IME", "IPC", "LAM", "MGEN", "OFII", "ONERA", "PASTT",
    "PMI", "PPMU", "PRAHDA", "RATP", "RSJAM", "SAOH", "SAS", "SAMU", "SELAS", "SELASU", "SELARL", "SELARLU",
    "SELEURL", "SELURL", "SIAO", "SIUMPPS", "SOS", "SUMPPS", "UDSM", "UFSE", "UMIF", "UPEC", "VIH", "IST", "AMLI",
    "SNL", "ALJEVO", "SARL", "SEL", "SCP", "ESI", "UNAFAM", "AP-HP", "APHP", "CMCO", "GHEF", "GHEM", "GHI",
    "CHI", "HIA", "HU", "GH",
}
_SPECIAL_CASE = {"CEGIDD": "CeGIDD", "APHP": "AP-HP"}

# Abbreviations expanded anywhere in a name or street.
_ABBREVIATIONS = {
    "ST": "saint", "STE": "sainte", "CTRE": "centre", "GAL": "général", "GEN": "général", "GNL": "général",
    "MAL": "maréchal", "PDT": "président", "PRESID": "président", "DR": "docteur", "CDT": "commandant",
    "LT": "lieutenant", "CNE": "capitaine", "FBG": "faubourg", "PTE": "porte", "GDE": "grande",
    "RESID": "résidence", "DPT": "départemental", "DEPT": "départemental", "DEPTAL": "départemental",
    "DPTAL": "départemental", "POLYV": "polyvalent", "SERV": "service", "SECT": "secteur", "ACC": "accueil",
    "CHIRURG": "chirurgicale", "HOP": "hôpital", "PHARM": "pharmacie", "ASSO": "association", "ENFTS": "enfants",
    "CMS": "centre municipal de santé", "PHIE": "pharmacie",
}
# Abbreviations expanded only as the first word of a name (elsewhere they may mean something else).
_LEADING_ABBREVIATIONS = {
    "CDS": "centre de santé",
    "CPMI": "centre de PMI",
    "CH": "centre hospitalier",
    "CHI": "centre hospitalier intercommunal",
    "HU": "hôpital universitaire",
    "GH": "groupe hospitalier",
    "HIA": "hôpital d'instruction des armées",
    "MSP": "maison de santé",
    "FTM": "foyer de travailleurs migrants",
}

# Accents lost in FINESS / SAE capitals, for frequent words (folded capitals -> French lower case).
_ACCENTS = {
    word.upper(): accented
    for word, accented in (
        (fold(a), a)
        for a in """
        abbé adélaïde aérogare aéroports alésia allée allées américain amédée andré arrivée asnières
        bâtiment béclère bégin béranger bicêtre blériot brétigny brévannes bruyère bruyères carrières
        cécile célestins césaire château châteaux châtelet châtenay châtillon chaussée chênaie chêne
        chênes chennevières chirurgical cité cités clément cœur condé créteil debré défense
        départemental départementale dépistage désiré diaconesses école écoles écluse écoute écho
        édouard éducation églantine église égalité égly égreville élancourt élise élisée éluard élysées
        émerainville émile épée épinay épine épinettes épône éragny ermitage espérance établissement
        étampes étang étape état états étienne étincelle étoile étréchy eugène eugénie européen
        européenne évry ézanville fédérés fédération félicité félix ferrière fêtes floréal forêt
        françois française français françoise fraternité frédéric frère frères gaîté généraliste général
        générale généraux geneviève génie grégoire hébergement hélène héricy honoré hôpital hôpitaux
        hôtel hôtels île îles infirmière infirmières intégration jaurès lacépède laënnec lariboisière
        léger léo léon léonard léopold libération liberté lumière lumières lycée lycéens maraîchers
        maréchal marché maternité médecine médecins médéric médical médicale médicaux médico
        ménilmontant mère mères méry mériel mérogis métivet molière mutualité noël opéra orthogénie
        pépinière père péreire péri périgny périnatal périnatale péguy pitié plâtrières pêchers
        polyvalente pré préfecture première prés président prévention préventive privé privée
        psychothérapie pyrénées raphaël réaumur réfugiés régional régionale réinsertion république
        résidence résidences résistance réunion rivière salpêtrière santé santépôle sébastien sébastopol
        sémard sénart séverine sèvres société solidarité solidarités sœur sœurs stéphane télégraphe
        thérapeutique thérapeutiques thérèse théâtre théodore théophile université universitaire vallée
        vallées valéry vélizy vémars vésinet vétheuil vauréal épicerie ampère révolution glières pièces
        masséna mendès crécy ferté nicéphore niépce paré traversière brantôme juvénile unité conférence
        clé bibliothèque trésigny lisière sénior séniors aimé évêque échelle élie éloi étoiles gérard
        guérin hérold jérôme mélanie méridien régis rené rémy sévigné valérie véronique médiathèque pôle
        crèche collège génération générations sécurité
        """.split()
    )
}

# Words kept in lower case inside a name (generic nouns and adjectives, not part of a proper name).
_LOWER_IN_NAME = {
    "santé", "soins", "examens", "social", "sociale", "sociaux", "sociales", "médical", "médicale", "médico",
    "dentaire", "dentaires", "municipal", "municipale", "départemental", "départementale", "intercommunal",
    "intercommunale", "familial", "familiale", "planification", "hébergement", "réinsertion", "urgence",
    "accueil", "thérapeutique", "thérapeutiques", "coordination", "polyvalent", "polyvalente", "généraliste",
    "résidentiel", "privé", "privée", "hospitalier", "hospitalière", "universitaire", "infirmiers", "infirmier",
    "halte", "mutualiste", "enfants", "adultes", "adolescents", "site", "service", "consultation", "secteur",
    "soin", "sexuelle", "ophtalmologique", "ophtalmologie", "orthodontie", "psychiatrie",
    "prévention", "dépistage", "demandeurs", "d'asile", "asile", "maternité", "clinique", "crise",
}
_ALWAYS_LOWER = {"de", "du", "des", "et", "en", "sur", "sous", "aux", "au", "à", "lès", "par", "pour", "d'", "ou"}
_ARTICLES = {"le", "la", "les", "l'"}
_PREPOSITIONS = {"de", "à", "sur", "sous", "en", "par", "pour", "et", "d'", "lès", "aux", "au", "du", "des"}
_VOWELS = set("AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸŒÆ")
_ORDINAL = re.compile(r"^(\d+)(E|EME|ÈME|IEME|IÈME|ER|ERE|ÈRE)$")


def _is_acronym(token: str) -> bool:
    letters = token.replace(".", "").replace("-", "")
    if not letters.isalpha():
        return False
    if token in ACRONYMS:
        return True
    if "." in token and re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?\.?", token):
        return True  # C.H.R.S.
    return len(letters) >= 2 and not (set(letters.upper()) & _VOWELS)


def _accented(word: str) -> str:
    """Lower-case French form of one capitalised word (accents restored for frequent words)."""
    if word != fold(word).upper():  # already carries accents: trust them
        return word.lower()
    return _ACCENTS.get(word, word.lower())


def _capitalise(word: str) -> str:
    if not word:
        return word
    if word[0] == "œ":
        return "Œ" + word[1:]
    return word[0].upper() + word[1:]


def _normalise_spaces(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("’", "'").replace('"', " ")
    text = re.sub(r"\s*'\s*", "'", text)  # "D' ERMONT" -> "D'ERMONT"
    text = re.sub(r"\s+-\s+|\s+-(?=\S)|(?<=\S)-\s+", " - ", text)
    text = re.sub(r"\s*([(),])\s*", r" \1 ", text)  # parentheses and commas are tokens of their own
    text = re.sub(r"\s*(?<!\d)/(?!\d)\s*", " / ", text)  # « MAGNY /VEXIN », but not « 24/24 »
    return re.sub(r"\s+", " ", text).strip()


def _merge_elisions(tokens: list[str]) -> list[str]:
    """`D AUBERVILLIERS` -> `D'AUBERVILLIERS`, `DE L INSTITUT` -> `DE L'INSTITUT` (lost apostrophes)."""
    merged: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.upper() in {"D", "L"} and nxt[:1].upper() in "AEIOUYHÉÈÊÂÎÔ" and nxt[:1].isalpha():
            merged.append(f"{token}'{nxt}")
            i += 2
            continue
        merged.append(token)
        i += 1
    return merged


def title_fr(text: str, *, leading_abbreviations: bool = False, lower_generic: bool = True) -> str:
    """Readable French from FINESS capitals.

    « CDS DE L INSTITUT PASTEUR » -> « Centre de santé de l'Institut Pasteur ».

    Small, predictable rule set: acronyms stay in capitals, particles in lower case, frequent words get
    their accents back, `Saint`/`Sainte` are hyphenated with the next word. Text that is already in
    mixed case is still normalised (FINESS mixes both).
    """
    text = _normalise_spaces(text)
    if not text:
        return text
    tokens = _merge_elisions(text.split(" "))
    out: list[str] = []
    previous = ""  # previous word, lower case ("" at the start of a segment)
    if leading_abbreviations and tokens and tokens[0].upper() in _LEADING_ABBREVIATIONS:
        expansion = _LEADING_ABBREVIATIONS[tokens.pop(0).upper()]
        out.append(expansion)  # already written in French
        previous = expansion.rsplit(" ", 1)[-1].lower()
    for token in tokens:
        if token in {"-", "/", "(", ")", ":", "&", "+", ","}:
            out.append(token)
            previous = ""
            continue
        parts = re.split(r"(-)", token)
        rendered: list[str] = []
        for part in parts:
            if part == "-" or part == "":
                rendered.append(part)
                continue
            rendered.append(_render_word(part, previous, lower_generic))
            previous = rendered[-1].lower()
        out.append("".join(rendered))
    result = " ".join(out)
    result = re.sub(r"\b(Saint|Sainte) (?=[A-ZÉÈÀÂÎÔ])", r"\1-", result)
    result = re.sub(r"\(\s+", "(", result)
    result = re.sub(r"\s+\)", ")", result)
    result = re.sub(r"\s+,", ",", result)
    result = re.sub(r"\s+/\s+", "/", result)
    return _capitalise(result)


def _render_word(raw: str, previous: str, lower_generic: bool) -> str:
    upper = raw.upper()
    if "'" in raw:  # elision: D'ASNIERES, L'AUBE, QU'IL
        head, _, tail = raw.partition("'")
        if head.upper() in {"D", "L", "QU", "JUSQU"} and tail:
            prefix = head.lower() + "'"
            if previous == "":
                prefix = _capitalise(prefix)
            # the elided word follows the same rules as a word in the middle of a name
            return prefix + _render_word(tail, prefix.lower(), lower_generic)
        # O'NEILL style: keep as is, capitalised
        return _capitalise(raw.lower())
    match = _ORDINAL.match(upper)
    if match:
        number, suffix = match.groups()
        if number == "1" and suffix in {"ER", "ERE", "ÈRE"}:
            return "1er" if suffix == "ER" else "1re"
        return number + "e"
    if any(ch.isdigit() for ch in raw):
        return upper
    if upper in _SPECIAL_CASE:
        return _SPECIAL_CASE[upper]
    if upper in _ABBREVIATIONS:
        word = _ABBREVIATIONS[upper]
    elif _is_acronym(upper):
        return upper.replace(".", "") if upper.count(".") >= 2 else upper
    else:
        word = _accented(upper)
    if previous == "":
        return _capitalise(word)
    if word in _ALWAYS_LOWER:
        return word
    if word in _ARTICLES:
        return word if previous in _PREPOSITIONS else _capitalise(word)
    if previous in {"d'", "l'"} and not (lower_generic and word in _LOWER_IN_NAME):
        return _capitalise(word)
    if word == "a" and previous not in _PREPOSITIONS:
        return "à"  # « ALTERNATIVE A L'HOTEL »
    if lower_generic and word in _LOWER_IN_NAME:
        return word
    if " " in word:  # expanded multi-word abbreviation
        return word
    return _capitalise(word)


# Prefixes of Val-d'Oise names (« C.H.R.S : LES VILLAGEOISES ») replaced by a readable label.
_NAME_PREFIXES = {
    "C.H.R.S": "CHRS",
    "RESID.SOC.HORS.M.REL": "Résidence sociale",
    "CTRE.CIRCONS.SAN.SOC": "Centre de circonscription sanitaire et sociale",
    "FOYER TRAV.MIGRANTS": "Foyer de travailleurs migrants",
    "MAISON RELAIS": "Maison relais",
}
_LEGAL_FORM = re.compile(
    r"^(SELARL|SELAS|SELASU|SELARLU|SELURL|SELEURL|SARL|SNC|EURL|SAS|SCP)\s+(?=(LA |GRANDE )?(PHARMACIE|PHIE)\b)",
    re.IGNORECASE,
)
# Whole phrases written in full before casing.
_PHRASES = {
    "CTRE EXAMENS SANTE": "CENTRE D'EXAMENS DE SANTE",
    "RESIDENCE SOC ": "RESIDENCE SOCIALE ",
    "CONSULT CONJUGALE": "CONSULTATION CONJUGALE",
}


_DOTTED_PREFIX = re.compile(r"^((?:[A-Z]+\.\s?){2,}[A-Z]*)\s*:?\s*(.+)$")


def clean_name(raw: str) -> str:
    """A readable name from the FINESS / SAE raison sociale (all caps, abbreviated)."""
    text = _normalise_spaces(raw)
    match = re.match(r"^([^:]{2,40}?)\s*:\s*(.+)$", text) or _DOTTED_PREFIX.match(text)
    if match and ("." in match.group(1) or match.group(1).upper() in _NAME_PREFIXES):
        prefix, rest = match.group(1).strip(), match.group(2).strip()
        label = _NAME_PREFIXES.get(prefix.upper())
        text = f"{label} {title_fr(rest, leading_abbreviations=True)}" if label else rest
        if label:
            return _capitalise(text)
    # « SELARL PHARMACIE DU VOYAGE »: the company's legal form is not part of the shop's name.
    text = _LEGAL_FORM.sub("", text)
    for phrase, full in _PHRASES.items():
        text = text.replace(phrase, full)
    return title_fr(text, leading_abbreviations=True)


# Street types of FINESS `typvoie` (and a few written in full), as written in a French address.
_STREET_TYPES = {
    "R": "rue", "RUE": "rue", "AV": "avenue", "AVENUE": "avenue", "BD": "boulevard", "BOULEVARD": "boulevard",
    "PL": "place", "PLACE": "place", "ALL": "allée", "ALLEE": "allée", "RTE": "route", "ROUTE": "route",
    "CHE": "chemin", "CHEM": "chemin", "CHEMIN": "chemin", "SQ": "square", "SQUARE": "square", "QU": "quai",
    "QUAI": "quai", "PAS": "passage", "PASS": "passage", "PASSAGE": "passage", "IMP": "impasse",
    "IMPASSE": "impasse", "VLA": "villa", "VILLA": "villa", "CRS": "cours", "COURS": "cours",
    "RES": "résidence", "VOI": "voie", "VOIE": "voie", "MAIL": "mail", "GR": "Grande Rue", "PROM": "promenade",
    "COUR": "cour", "QUA": "quartier", "ESP": "esplanade", "SENTE": "sente", "SEN": "sentier", "CITE": "cité",
    "RPT": "rond-point", "RLE": "ruelle", "CHS": "chaussée", "PRV": "parvis", "PARVIS": "parvis",
    "HAM": "hameau", "FG": "faubourg", "TSSE": "terrasse", "DOM": "domaine", "PKG": "parking", "LD": "lieu-dit",
    "LIEUDIT": "lieu-dit", "CCAL": "centre commercial", "GAL": "galerie", "PLT": "plateau", "CAR": "carrefour",
    "ZA": "ZA", "ZAC": "ZAC", "ZI": "ZI", "MTE": "montée", "TRA": "traverse",
}
_NUMBER_SUFFIX = {"B": "bis", "BIS": "bis", "T": "ter", "TER": "ter", "Q": "quater", "QUATER": "quater"}


def format_street(raw: str | None) -> str | None:
    """« 54 R B BOURSAULT » -> « 54 bis rue Boursault » (FINESS: numvoie typvoie compvoie voie)."""
    if not raw or not raw.strip():
        return None
    tokens = _normalise_spaces(raw).split(" ")
    number = ""
    match = re.fullmatch(r"(\d+(?:-\d+)?)([BTQ]?)", tokens[0].upper()) if tokens else None
    if match:  # « 54 », « 67-71 », « 1B » (SAE writes the complement glued to the number)
        tokens.pop(0)
        number = match.group(1).lstrip("0") or "0"
        if match.group(2):
            number += " " + _NUMBER_SUFFIX[match.group(2)]
        elif tokens and tokens[0].upper() in {"BIS", "TER", "QUATER"}:
            number += " " + _NUMBER_SUFFIX[tokens.pop(0).upper()]
    street_type = ""
    if len(tokens) > 1 and tokens[0].upper() in _STREET_TYPES:
        street_type = _STREET_TYPES[tokens.pop(0).upper()]
        # compvoie comes after typvoie in this copy: « 54 R B BOURSAULT » (B = bis, T = ter, Q = quater)
        if number and len(tokens) > 1 and tokens[0].upper() in {"B", "T", "Q"}:
            number += " " + _NUMBER_SUFFIX[tokens.pop(0).upper()]
    name = title_fr(" ".join(tokens), lower_generic=False) if tokens else ""
    if street_type and name:
        # the street name after its type starts like a continuing phrase: « rue de la Pompe »
        first, _, rest = name.partition(" ")
        if first.lower() in _ALWAYS_LOWER:
            name = first.lower() + (" " + rest if rest else "")
        elif first.lower().startswith("d'"):
            name = "d'" + name[2:]
    parts = [p for p in (number, street_type, name) if p]
    return " ".join(parts) or None


def format_complement(raw: str | None) -> str | None:
    """The `lieuditbp` line, without postal boxes (BP, CS, TSA), which do not help anyone find a place."""
    if not raw or not raw.strip():
        return None
    if re.match(r"^(BP|B\.P\.|CS|TSA)\s*\d", raw.strip().upper()):
        return None
    return title_fr(raw, lower_generic=False)


# ---------------------------------------------------------------------------------------------------
# Communes: FINESS has a postal code and an "acheminement" city (maybe CEDEX), no INSEE code
# ---------------------------------------------------------------------------------------------------

_CEDEX = re.compile(r"\s+C(?:E(?:D(?:E(?:X)?)?)?)?(\s+\d+)?\s*$", re.IGNORECASE)  # also cut « CED »


def _city_key(name: str) -> str:
    folded = fold(name)
    folded = re.sub(r"[^a-z0-9]+", " ", folded)
    words = [{"st": "saint", "ste": "sainte"}.get(w, w) for w in folded.split()]
    return " ".join(words)


def _communes_by_department(communes: CommuneIndex) -> dict[str, list[Commune]]:
    table: dict[str, list[Commune]] = {}
    for commune in communes.communes:
        table.setdefault(commune.department, []).append(commune)
    return table


def _one_commune(candidates: list[Commune], city_key: str, communes: CommuneIndex) -> Commune | None:
    """The single commune named `city_key`, or whose name starts with it or begins it.

    « EVRY » -> Évry-Courcouronnes, « FRANCONVILLE LA GARENNE » -> Franconville; None when ambiguous.
    """
    for match in (
        lambda key: key == city_key,
        lambda key: key.startswith(city_key + " ") or city_key.startswith(key + " "),
    ):
        found = {}
        for commune in candidates:
            if match(_city_key(commune.name)):
                current = _current(commune, communes)
                found[current.insee_code] = current
        if len(found) == 1:
            return next(iter(found.values()))
        if found:
            return None
    # a typo in the source (« MONTCOURT FROMONVILLE » for Moncourt-Fromonville)
    scored = {c.insee_code: c for c in candidates if fuzz.ratio(_city_key(c.name), city_key) >= 90}
    if len(scored) == 1:
        return _current(next(iter(scored.values())), communes)
    return None


def _current(commune: Commune, communes: CommuneIndex) -> Commune:
    """A commune déléguée / associée is reported as the current commune it belongs to."""
    if commune.kind in {"commune_deleguee", "commune_associee"} and commune.parent:
        return communes.by_insee(commune.parent) or commune
    return commune


def resolve_commune(
    ctx: ImportContext, postcode: str | None, city: str | None, department: str | None
) -> Commune | None:
    """The commune of a FINESS address, or None when it cannot be told for sure.

    Order: Paris arrondissement from « PARIS CEDEX 13 »; the commune of the postal code whose name
    matches the city; the only commune of the postal code; a commune of that name in the département.
    """
    communes = ctx.communes
    table = ctx.cache.get("finess:communes-by-department")
    if table is None:
        table = ctx.cache["finess:communes-by-department"] = _communes_by_department(communes)
    postcode = (postcode or "").strip()
    raw_city = (city or "").strip()
    cedex = bool(_CEDEX.search(raw_city))
    city_key = _city_key(_CEDEX.sub("", raw_city))
    department = postcode[:2] if postcode else department  # where the post goes, not the FINESS prefix
    candidates = communes.by_postcode(postcode)
    if city_key == "paris":  # the arrondissement, from « PARIS CEDEX 13 » or from the postal code
        match = re.search(r"CEDEX\s+(\d{1,2})\s*$", raw_city, re.IGNORECASE) if cedex else None
        if match and 1 <= int(match.group(1)) <= 20:
            return communes.by_insee(f"751{int(match.group(1)):02d}")
        arrondissements = [c for c in candidates if c.kind == "arrondissement_municipal"]
        if len(arrondissements) == 1:
            return arrondissements[0]
    if city_key:
        named = _one_commune(candidates, city_key, communes)
        if named:
            return named
    distinct = {c.insee_code for c in candidates if c.kind in {"commune", "arrondissement_municipal"}}
    if len(distinct) == 1:
        return next(c for c in candidates if c.insee_code in distinct)
    if city_key and department:
        return _one_commune(table.get(department, []), city_key, communes)  # type: ignore[union-attr]
    return None


def street_postcode(postcode: str | None, city: str | None, commune: Commune | None) -> str | None:
    """The postal code to show: a CEDEX code is replaced by the commune's code when it has only one."""
    if not postcode:
        return commune.postcodes[0] if commune and len(commune.postcodes) == 1 else None
    if city and _CEDEX.search(city) and commune and len(commune.postcodes) == 1:
        return commune.postcodes[0]
    return postcode


# ---------------------------------------------------------------------------------------------------
# Categories in scope
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePlan:
    key: str
    name: str
    categories: tuple[str, ...]
    description: str | None = None
    modalities: dict | None = None


@dataclass(frozen=True)
class Plan:
    """What one FINESS row becomes."""

    kind: str
    services: tuple[ServicePlan, ...]
    description: str | None = None
    modalities: dict | None = None
    publics: dict | None = None
    extra: dict = field(default_factory=dict)


class OutOfScope(Exception):
    """A row of a kept category that is nevertheless outside the mission (reason in French)."""


# Legal access rules, written once (French, shown to users).
SIAO_REFERRAL = "Orientation par le SIAO / 115"
_SIAO_TEXT = (
    "L'admission se fait sur orientation du SIAO : appeler le 115 (gratuit, 24 h/24) ou s'adresser à "
    "un service social."
)
EMERGENCY_CONTRACEPTION_TEXT = (
    "Contraception d'urgence (pilule du lendemain) gratuite et sans ordonnance, pour toutes et tous, "
    "mineures comprises."
)
_EMERGENCY_CONTRACEPTION_PRICE = (
    "Gratuite sans ordonnance et sans avance de frais depuis le 1er janvier 2023 : carte Vitale, "
    "attestation de droits ou carte AME pour les majeures ; pour les mineures, une déclaration sur "
    "l'honneur suffit et la délivrance peut rester secrète."
)
_CPEF_PRICE = (
    "Gratuit pour les mineur·es et pour les personnes sans couverture sociale, avec le secret garanti "
    "(règle des centres de santé sexuelle) ; pour les autres, consultations remboursées."
)
_CEGIDD_TEXT = (
    "Dépistage et traitement des infections sexuellement transmissibles (IST), du VIH et des hépatites, "
    "gratuit et anonyme si vous le souhaitez (règle des CeGIDD). Traitement post-exposition (TPE) et "
    "PrEP."
)


def _sexual_health_services(extra: tuple[ServicePlan, ...] = ()) -> tuple[ServicePlan, ...]:
    return (
        ServicePlan(
            "contraception",
            "Contraception",
            ("contraception",),
            "Consultation, prescription et délivrance de contraception "
            "(pilule, stérilet, implant, préservatifs...).",
        ),
        ServicePlan(
            "contraception-urgence",
            "Contraception d'urgence",
            ("emergency_contraception",),
            "Délivrance de la contraception d'urgence (pilule du lendemain).",
        ),
        ServicePlan(
            "depistage-ist",
            "Dépistage des IST et du VIH",
            ("sti_prevention_testing",),
            "Dépistage et traitement des infections sexuellement transmissibles.",
        ),
        ServicePlan(
            "information",
            "Information et prévention",
            ("sexual_health_education", "affective_life"),
            "Information et conseil sur la sexualité, la vie affective et la contraception.",
        ),
        *extra,
    )


def _cegidd_plan(kind: str, description: str) -> Plan:
    return Plan(
        kind=kind,
        description=description,
        services=(
            ServicePlan(
                "depistage-ist", "Dépistage des IST, du VIH et des hépatites", ("sti_prevention_testing",), _CEGIDD_TEXT
            ),
            ServicePlan(
                "prevention-vih",
                "Prévention du VIH (TPE, PrEP)",
                ("hiv_prevention",),
                "Traitement post-exposition (TPE) en urgence après un risque, et PrEP.",
            ),
        ),
        modalities={"free": True, "anonymous": True, "price_details": "Gratuit ; anonyme si vous le souhaitez."},
    )


_WOMEN = re.compile(r"\bFEMMES?\b")
_YOUTH_PSY = re.compile(
    r"\b(ENFANTS?|ENFANCE|INFANTO|INFANTILE|JUVENILE|ADOS?|ADOLESCENTS?|PEDOPSY\w*|CMPEA|PETITE ENFANCE)\b"
)
_ADULT_PSY = re.compile(r"\bADULTES?\b")


def _women_publics(name: str, base: dict | None = None) -> dict | None:
    if _WOMEN.search(name):
        publics = dict(base or {})
        publics.update(welcome=Welcome.exclusive, gender=Gender.women)
        publics.setdefault("description", "Femmes (d'après le nom de la structure).")
        return publics
    return base


def _plan_pharmacy(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Pharmacie",
        services=(
            ServicePlan(
                "contraception-urgence",
                "Contraception d'urgence",
                ("emergency_contraception",),
                EMERGENCY_CONTRACEPTION_TEXT,
                # meddispar.fr (Ordre des pharmaciens): for minors « la délivrance et la prise en
                # charge sont protégées par le secret ».
                {
                    "free": True,
                    "anonymous_for_minors": True,
                    "appointment": False,
                    "price_details": _EMERGENCY_CONTRACEPTION_PRICE,
                },
            ),
        ),
    )


def _plan_cpef(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre de santé sexuelle (CPEF)",
        description=(
            "Centre de santé sexuelle (ancien centre de planification et d'éducation familiale, CPEF) : "
            "contraception, contraception d'urgence, dépistage des IST, information sur la sexualité."
        ),
        services=_sexual_health_services(),
        # Rule of the centres de santé sexuelle (Code de la santé publique; e.g. herault.fr): free and
        # secret for minors, and free for people without health cover.
        modalities={"price_details": _CPEF_PRICE, "free_for_minors": True, "anonymous_for_minors": True},
    )


def _plan_eiccf(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Établissement d'information et de conseil conjugal et familial",
        description="Information, écoute et conseil sur la vie affective, relationnelle, sexuelle et familiale.",
        services=(
            ServicePlan("information", "Information et prévention", ("sexual_health_education",)),
            ServicePlan("vie-affective", "Conseil conjugal et vie affective", ("affective_life",)),
        ),
    )


def _plan_venereal(row: dict[str, str]) -> Plan:
    # README: in 2021 FINESS (no CeGIDD category yet), CeGIDD / ex-CDAG-CIDDIST sites appear under 266
    # « Dispensaire antivénérien », mostly named « centre de dépistage et de soins ».
    return _cegidd_plan(
        "Centre de dépistage IST / VIH (CeGIDD)",
        "Centre de dépistage et de soins des IST (catégorie FINESS 2021 « dispensaire antivénérien », "
        "devenue CeGIDD).",
    )


def _plan_care_and_prevention(row: dict[str, str]) -> Plan:
    name = row["rs"].upper()
    if "CEGIDD" in name:
        return _cegidd_plan(
            "CeGIDD",
            "Centre gratuit d'information, de dépistage et de diagnostic du VIH, des hépatites et des IST.",
        )
    if "DEPISTAGE" in name:
        # Seine-Saint-Denis « centres de dépistage et de prévention »: FINESS does not say which screenings.
        return Plan(
            kind="Centre de dépistage et de prévention",
            description=(
                "Centre départemental de dépistage et de prévention (dépistages proposés non précisés par FINESS)."
            ),
            services=(ServicePlan("depistage", "Dépistage", ("std_testing",)),),
        )
    # The rest of 636 are RATP / SNCF / airport occupational care points, for their staff only.
    raise OutOfScope("catégorie FINESS 636 hors périmètre (santé au travail)")


# Centres de santé: FINESS 2021 does not say which activity (médical, dentaire, infirmier,
# ophtalmologique...); the name usually does. Unknown activity -> general practice, said as unknown.
_TELECONSULTATION = re.compile(r"\b(LIVI|QARE)\b")


def _plan_health_centre(row: dict[str, str]) -> Plan:
    name = row["rs"].upper()
    if _TELECONSULTATION.search(name):
        raise OutOfScope("catégorie FINESS 124 hors périmètre (téléconsultation)")
    price = {
        "price_details": (
            "Tiers payant : pas d'avance des frais pour la part Assurance maladie (règle des centres de santé)."
        )
    }
    if "CHECKPOINT" in name or "SEXUELLE" in name:
        return Plan(
            kind="Centre de santé sexuelle",
            services=(
                ServicePlan("depistage-ist", "Dépistage des IST et du VIH", ("sti_prevention_testing",)),
                ServicePlan("prevention-vih", "Prévention du VIH (TPE, PrEP)", ("hiv_prevention",)),
            ),
            modalities=price,
        )
    medical = bool(
        re.search(r"\b(MEDICO|MEDICAL|MEDICALE|POLYVALENT|MUNICIPAL|CMS|POLYCLINIQUE|GENERALISTE|MD)\b", name)
    )
    dental = bool(re.search(r"DENT|ORTHODONT|\bORTHO\b|SMILE|OPTIMODON", name))
    optical = bool(re.search(r"OPHTA|VISION|OPTIQUE", name))
    nursing = bool(re.search(r"INFIRMIER", name))
    radiology = "RADIOLOG" in name
    dermatology = "DERMATO" in name
    psycho = "PSYCHO" in name
    services: list[ServicePlan] = []
    specialised = dental or optical or nursing or radiology or dermatology or psycho
    if medical or not specialised:
        services.append(ServicePlan("medecine-generale", "Médecine générale", ("general_practitioner",)))
    if dental:
        services.append(ServicePlan("dentaire", "Soins dentaires", ("dental_care",)))
    if optical:
        services.append(ServicePlan("ophtalmologie", "Ophtalmologie", ("optical_care",)))
    if nursing:
        services.append(ServicePlan("soins-infirmiers", "Soins infirmiers", ("infirmary",)))
    if radiology:
        services.append(ServicePlan("radiologie", "Radiologie", ("radiology",)))
    if dermatology:
        services.append(ServicePlan("dermatologie", "Dermatologie", ("dermatology",)))
    if psycho:
        services.append(ServicePlan("psychologie", "Psychothérapie", ("psychological_support",)))
    if dental and not (medical or optical or nursing or radiology or dermatology or psycho):
        kind = "Centre de santé dentaire"
    elif optical and not (medical or dental or nursing):
        kind = "Centre de santé ophtalmologique"
    elif nursing and not (medical or dental or optical):
        kind = "Centre de soins infirmiers"
    else:
        kind = "Centre de santé"
    description = None
    if not (medical or specialised):
        description = (
            "Centre de santé : FINESS ne précise pas les activités (médicale, dentaire, infirmière...) ; "
            "se renseigner avant de s'y rendre."
        )
    publics = None
    if re.search(r"\bADOS\b", name):
        publics = {
            "welcome": Welcome.preferential,
            "groups": [PublicGroup.youth],
            "description": "Adolescent·es et jeunes.",
        }
    return Plan(kind=kind, services=tuple(services), description=description, modalities=price, publics=publics)


def _plan_msp(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Maison de santé pluriprofessionnelle",
        description=(
            "Regroupement de professionnel·les de santé libéraux (médecins généralistes et autres soignant·es)."
        ),
        services=(ServicePlan("medecine-generale", "Médecine générale", ("general_practitioner",)),),
    )


def _plan_university(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Service de santé universitaire",
        description=(
            "Service de santé des étudiant·es de l'université (consultations de médecine générale et de prévention)."
        ),
        services=(ServicePlan("medecine-generale", "Médecine générale", ("general_practitioner",)),),
        publics={
            "welcome": Welcome.exclusive,
            "groups": [PublicGroup.student],
            "description": "Étudiant·es de l'établissement.",
        },
    )


def _plan_health_check(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre d'examens de santé",
        description=(
            "Bilan de santé (examen de prévention en santé) proposé aux assuré·es de l'Assurance maladie."
        ),
        services=(ServicePlan("bilan-sante", "Bilan de santé", ("health_assessment",)),),
        modalities={"price_details": "Examen de prévention en santé pris en charge par l'Assurance maladie."},
    )


def _plan_tuberculosis(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre de lutte antituberculeuse",
        description="Dépistage et suivi de la tuberculose (centre de lutte antituberculeuse, CLAT).",
        services=(ServicePlan("depistage-tuberculose", "Dépistage de la tuberculose", ("std_testing",)),),
        modalities={"free": True, "price_details": "Gratuit (mission de lutte antituberculeuse)."},
    )


def _plan_vaccination(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre de vaccination",
        services=(ServicePlan("vaccination", "Vaccination", ("vaccination",)),),
    )


_PMI_PRICE = {"free": True, "price_details": "Consultations de PMI gratuites."}
_PLANIF = re.compile(r"PLANIF|PLANNING|\bCPEF\b")
_ADMIN = re.compile(r"\bDIRECTION\b|\bSIEGE\b")


def _pmi_contraception(name: str) -> tuple[ServicePlan, ...]:
    # « CPMI ET PLANIFICATION »: the PMI centre hosts a planning familial (centre de santé sexuelle).
    if _PLANIF.search(name):
        return (
            ServicePlan(
                "contraception",
                "Contraception (planification familiale)",
                ("contraception",),
                "Consultations de planification familiale (d'après le nom du centre).",
            ),
        )
    return ()


def _plan_pmi(row: dict[str, str]) -> Plan:
    name = row["rs"].upper()
    if _ADMIN.search(name):
        raise OutOfScope("catégorie FINESS 223 hors périmètre (direction administrative)")
    return Plan(
        kind="Centre de PMI",
        description=(
            "Centre de protection maternelle et infantile (PMI) : suivi de grossesse, consultations et "
            "vaccinations des enfants de moins de 6 ans, soutien aux parents."
        ),
        services=(
            ServicePlan("soins-enfants", "Consultations pour les enfants de moins de 6 ans", ("child_care",)),
            ServicePlan("suivi-grossesse", "Suivi de grossesse", ("pregnancy_care",)),
            ServicePlan("soutien-parents", "Soutien à la parentalité", ("parent_assistance",)),
            *_pmi_contraception(name),
        ),
        modalities=_PMI_PRICE,
        publics={
            "welcome": Welcome.preferential,
            "family": [FamilySituation.pregnant, FamilySituation.family],
            "description": "Femmes enceintes, parents et enfants de moins de 6 ans.",
        },
    )


def _plan_child_protection(row: dict[str, str]) -> Plan:
    name = row["rs"].upper()
    return Plan(
        kind="Consultation de PMI (protection infantile)",
        description=(
            "Consultations de protection infantile (PMI) : suivi médical et vaccinations des enfants de moins de 6 ans."
        ),
        services=(
            ServicePlan("soins-enfants", "Consultations pour les enfants de moins de 6 ans", ("child_care",)),
            ServicePlan("soutien-parents", "Soutien à la parentalité", ("parent_assistance",)),
            *_pmi_contraception(name),
        ),
        modalities=_PMI_PRICE,
        publics={
            "welcome": Welcome.preferential,
            "family": [FamilySituation.family],
            "description": "Parents et enfants de moins de 6 ans.",
        },
    )


def _plan_prenatal(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Consultation de PMI (prénatale et postnatale)",
        description="Consultations de PMI avant et après la naissance.",
        services=(ServicePlan("suivi-grossesse", "Suivi de grossesse", ("pregnancy_care",)),),
        modalities=_PMI_PRICE,
        publics={
            "welcome": Welcome.preferential,
            "family": [FamilySituation.pregnant],
            "description": "Femmes enceintes et jeunes parents.",
        },
    )


def _psy_publics(name: str) -> dict | None:
    if _YOUTH_PSY.search(name) and not _ADULT_PSY.search(name):
        return {
            "welcome": Welcome.exclusive,
            "age_max": 17,
            "groups": [PublicGroup.youth],
            "description": "Enfants et adolescent·es (psychiatrie infanto-juvénile, d'après le nom).",
        }
    if _ADULT_PSY.search(name) and not _YOUTH_PSY.search(name):
        return {"welcome": Welcome.exclusive, "age_min": 16, "description": "Adultes (d'après le nom)."}
    return None


_SECTOR_TEXT = "On consulte en principe le CMP du secteur de son domicile."


def _plan_cmp(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre médico-psychologique (CMP)",
        description=(
            "Centre médico-psychologique : consultations de psychiatrie et de psychologie du service public. "
            + _SECTOR_TEXT
        ),
        services=(
            ServicePlan("psychiatrie", "Consultations de psychiatrie", ("psychiatry",)),
            ServicePlan("psychologie", "Consultations de psychologie", ("psychological_support",)),
        ),
        modalities={
            "free": True,
            "price_details": "Consultations prises en charge sans avance de frais (psychiatrie publique).",
        },
        publics=_psy_publics(row["rs"].upper()),
    )


def _plan_cattp(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre d'accueil thérapeutique à temps partiel (CATTP)",
        description="Activités thérapeutiques de groupe pour les personnes suivies en psychiatrie.",
        services=(ServicePlan("activites-therapeutiques", "Activités thérapeutiques", ("therapeutic_activities",)),),
        modalities={
            "referral": True,
            "referral_details": "Sur indication de l'équipe de psychiatrie du secteur (souvent le CMP).",
        },
        publics=_psy_publics(row["rs"].upper()),
    )


def _plan_cmpp(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre médico-psycho-pédagogique (CMPP)",
        description=(
            "Consultations et soins pour les enfants et les jeunes en difficulté psychologique, scolaire ou de "
            "langage."
        ),
        services=(
            ServicePlan("psychologie", "Psychologue", ("psychological_support",)),
            ServicePlan("psychiatrie", "Pédopsychiatre", ("psychiatry",)),
            ServicePlan("orthophonie", "Orthophonie", ("speech_therapy",)),
        ),
        modalities={
            "free": True,
            "price_details": "Soins pris en charge par l'Assurance maladie, sans avance de frais.",
        },
        publics={
            "welcome": Welcome.exclusive,
            "age_max": 20,
            "groups": [PublicGroup.youth],
            "description": "Enfants et jeunes jusqu'à 20 ans, avec leur famille.",
        },
    )


def _plan_bapu(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Bureau d'aide psychologique universitaire (BAPU)",
        description="Consultations de psychologues et de psychiatres pour les étudiant·es.",
        services=(ServicePlan("psychologie", "Psychologue", ("psychological_support",)),),
        modalities={
            "free": True,
            "price_details": "Consultations prises en charge, sans avance de frais pour les étudiant·es.",
        },
        publics={"welcome": Welcome.exclusive, "groups": [PublicGroup.student], "description": "Étudiant·es."},
    )


def _plan_crisis(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre d'accueil et de crise (psychiatrie)",
        description="Accueil et soins psychiatriques en situation de crise.",
        services=(ServicePlan("psychiatrie", "Psychiatrie (crise)", ("psychiatry",)),),
    )


def _plan_caarud(row: dict[str, str]) -> Plan:
    return Plan(
        kind="CAARUD",
        description=(
            "Centre d'accueil et d'accompagnement à la réduction des risques pour usagers de drogues "
            "(CAARUD) : matériel de consommation à moindre risque, accueil, écoute et orientation. "
            "Gratuit et anonyme."
        ),
        services=(
            ServicePlan(
                "reduction-risques",
                "Réduction des risques et matériel",
                ("addiction_prevention_and_material",),
                "Matériel stérile (seringues, kits, pailles...), récupération du matériel usagé, conseils de "
                "réduction des risques.",
            ),
        ),
        modalities={"free": True, "anonymous": True, "price_details": "Gratuit et anonyme (règle des CAARUD)."},
        publics={
            "welcome": Welcome.exclusive,
            "groups": [PublicGroup.addiction],
            "description": "Personnes qui consomment des drogues.",
        },
    )


def _plan_csapa(row: dict[str, str]) -> Plan:
    return Plan(
        kind="CSAPA",
        description=(
            "Centre de soins, d'accompagnement et de prévention en addictologie (CSAPA) : consultations, "
            "soins et accompagnement (alcool, drogues, tabac, jeux...), pour les personnes concernées et "
            "leur entourage. Gratuit, anonymat possible."
        ),
        services=(ServicePlan("addictologie", "Consultations et soins en addictologie", ("addiction_care",)),),
        modalities={
            "free": True,
            "anonymous": True,
            "price_details": "Gratuit ; anonymat possible (règle des CSAPA).",
        },
        publics={
            "welcome": Welcome.preferential,
            "groups": [PublicGroup.addiction],
            "description": "Personnes ayant une addiction et leur entourage.",
        },
    )


def _plan_medical_accommodation(
    kind: str, description: str, referral: str, publics: dict | None
) -> Callable[[dict[str, str]], Plan]:
    def plan(row: dict[str, str]) -> Plan:
        return Plan(
            kind=kind,
            description=description,
            services=(ServicePlan("hebergement-medicalise", "Hébergement médicalisé", ("medical_accommodation",)),),
            modalities={"referral": True, "referral_details": referral},
            publics=publics,
        )

    return plan


_HOMELESS_PUBLICS = {
    "welcome": Welcome.exclusive,
    "groups": [PublicGroup.homeless],
    "description": "Personnes sans domicile dont l'état de santé demande des soins.",
}

_EMERGENCY_NAME = re.compile(r"\b(CHU|CHS|HUAS|HUDA|URGENCE|ABRI|ALTHO|HOTEL|HÔTEL|HALTE|DORTOIR|SAS)\b")
_NIGHT_SHELTER = re.compile(r"\b(ABRI DE NUIT|ABRI NUIT|DORTOIR|HALTE DE NUIT)\b")


def _plan_chrs(row: dict[str, str]) -> Plan:
    name = row["rs"].upper()
    # The accompaniment of a CHRS, CPH or CADA is for the people it houses, admitted on referral: it is
    # in the description, not a service of its own, so that « accompagnement social » (and the help
    # offered when a need has no place nearby) leads to the CCAS and social services a person can visit.
    services = [ServicePlan("hebergement", "Hébergement et réinsertion", ("long_term_accomodation",))]
    if "URGENCE" in name:
        services.insert(0, ServicePlan("hebergement-urgence", "Hébergement d'urgence", ("emergency_accommodation",)))
    return Plan(
        kind="CHRS",
        description=(
            "Centre d'hébergement et de réinsertion sociale (CHRS) : hébergement et accompagnement vers "
            "l'autonomie. " + _SIAO_TEXT
        ),
        services=tuple(services),
        modalities={"referral": True, "referral_details": SIAO_REFERRAL},
        publics=_women_publics(name),
    )


def _plan_shelter(row: dict[str, str]) -> Plan:
    # README: 219 « Autre centre d'accueil » = emergency shelters (CHU, CHS, HUAS...) and hotel-based schemes.
    name = row["rs"].upper()
    services = [ServicePlan("hebergement-urgence", "Hébergement d'urgence", ("emergency_accommodation",))]
    if _NIGHT_SHELTER.search(name):
        services.append(ServicePlan("halte-nuit", "Abri de nuit", ("overnight_stop",)))
    kind = "Centre d'hébergement d'urgence" if _EMERGENCY_NAME.search(name) else "Centre d'accueil et d'hébergement"
    return Plan(
        kind=kind,
        description="Hébergement d'urgence (catégorie FINESS « autre centre d'accueil »). " + _SIAO_TEXT,
        services=tuple(services),
        modalities={"referral": True, "referral_details": SIAO_REFERRAL},
        publics=_women_publics(name),
    )


def _plan_cph(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre provisoire d'hébergement (CPH)",
        description=(
            "Hébergement et accompagnement des personnes réfugiées ou protégées. Admission sur orientation de l'OFII."
        ),
        services=(ServicePlan("hebergement", "Hébergement", ("long_term_accomodation",)),),  # see _plan_chrs
        modalities={"referral": True, "referral_details": "Orientation par l'OFII"},
        publics={
            "welcome": Welcome.exclusive,
            "administrative": [AdministrativeSituation.refugee],
            "description": "Personnes réfugiées ou bénéficiaires de la protection subsidiaire.",
        },
    )


def _plan_cada(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre d'accueil de demandeurs d'asile (CADA)",
        description=(
            "Hébergement et accompagnement administratif et social des personnes en demande d'asile, "
            "pendant la procédure. Admission sur orientation de l'OFII."
        ),
        services=(ServicePlan("hebergement", "Hébergement", ("long_term_accomodation",)),),  # see _plan_chrs
        modalities={"referral": True, "referral_details": "Orientation par l'OFII"},
        publics={
            "welcome": Welcome.exclusive,
            "administrative": [AdministrativeSituation.asylum],
            "description": "Personnes en demande d'asile.",
        },
    )


def _plan_pension_de_famille(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Pension de famille (maison relais)",
        description=(
            "Logement durable avec espaces collectifs et présence d'hôtes, pour des personnes isolées "
            "ayant connu la rue ou l'exclusion. Admission sur orientation du SIAO."
        ),
        services=(ServicePlan("logement", "Logement accompagné", ("long_term_accomodation",)),),
        modalities={"referral": True, "referral_details": "Orientation par le SIAO"},
        publics=_women_publics(row["rs"].upper()),
    )


def _plan_social_residence(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Résidence sociale",
        description=(
            "Logement temporaire meublé avec accompagnement, pour des personnes ayant des difficultés "
            "d'accès au logement. Attribution sur proposition du SIAO ou d'un réservataire (préfecture, "
            "Action Logement, commune), pas d'accueil direct."
        ),
        services=(ServicePlan("logement", "Logement temporaire", ("long_term_accomodation",)),),
        modalities={"referral": True, "referral_details": "Orientation par le SIAO ou un réservataire"},
        publics=_women_publics(row["rs"].upper()),
    )


def _plan_fjt(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Foyer de jeunes travailleurs (FJT)",
        description="Logement temporaire et accompagnement pour des jeunes en emploi, en formation ou en insertion.",
        services=(ServicePlan("logement", "Logement pour jeunes", ("long_term_accomodation",)),),
        publics={
            "welcome": Welcome.exclusive,
            "age_min": 16,
            "age_max": 30,
            "groups": [PublicGroup.youth],
            "description": "Jeunes de 16 à 30 ans (règle générale des FJT).",
        },
    )


def _plan_mother_child(row: dict[str, str]) -> Plan:
    return Plan(
        kind="Centre maternel (accueil mère-enfant)",
        description=(
            "Hébergement et accompagnement de femmes enceintes et de mères isolées avec enfants de moins "
            "de 3 ans. Admission par l'Aide sociale à l'enfance (ASE) du département."
        ),
        services=(
            ServicePlan("hebergement", "Hébergement mère-enfant", ("long_term_accomodation",)),
            ServicePlan("soutien-parents", "Soutien à la parentalité", ("parent_assistance",)),
        ),
        modalities={"referral": True, "referral_details": "Admission par l'Aide sociale à l'enfance (ASE)"},
        publics={
            "welcome": Welcome.exclusive,
            "gender": Gender.women,
            "family": [FamilySituation.pregnant, FamilySituation.family],
            "description": "Femmes enceintes et mères isolées avec un enfant de moins de 3 ans.",
        },
    )


def _plan_social_service(row: dict[str, str]) -> Plan:
    if re.search(r"\bCCAS\b", row["rs"].upper()):
        # Val-d'Oise: in small communes the CCAS runs the « polyvalence de secteur » by agreement.
        return Plan(
            kind="Centre communal d'action sociale (CCAS)",
            description=(
                "Service social de la commune, qui assure aussi le service social de secteur : accès aux "
                "droits, aides et accompagnement des habitant·es."
            ),
            services=(ServicePlan("accompagnement-social", "Accompagnement social", ("social_accompaniment",)),),
        )
    return Plan(
        kind="Service social départemental",
        description=(
            "Service social de secteur du département : assistant·es de service social pour l'accès aux "
            "droits, les aides et l'accompagnement. On s'adresse au service du secteur de son domicile."
        ),
        services=(ServicePlan("accompagnement-social", "Accompagnement social", ("social_accompaniment",)),),
    )


# categetab -> plan builder. Everything absent from this table is out of scope.
_CATEGORY_RULES: dict[str, Callable[[dict[str, str]], Plan]] = {
    # Pharmacies: only emergency contraception (free without prescription for everyone since 2023).
    "620": _plan_pharmacy,
    # Sexual health
    "228": _plan_cpef,  # CPEF, « centre de santé sexuelle » since 2022
    "231": _plan_eiccf,  # établissement d'information, de consultation ou de conseil familial
    "266": _plan_venereal,  # README: where 2021 CeGIDD sites are
    "636": _plan_care_and_prevention,  # only the 2 CeGIDD of Seine-Saint-Denis and its screening centres
    # Primary care
    "124": _plan_health_centre,
    "603": _plan_msp,
    "269": _plan_university,  # services de santé universitaires (students in precarity)
    "347": _plan_health_check,  # centres d'examens de santé (bilan de santé, priority to people in precarity)
    "142": _plan_tuberculosis,  # CLAT
    "143": _plan_vaccination,
    # PMI (protection maternelle et infantile)
    "223": _plan_pmi,
    "230": _plan_child_protection,
    "224": _plan_prenatal,
    # Mental health
    "156": _plan_cmp,
    "425": _plan_cattp,
    "189": _plan_cmpp,
    "221": _plan_bapu,
    "444": _plan_crisis,
    # Addictions
    "178": _plan_caarud,
    "197": _plan_csapa,
    # Medical accommodation for people in precarity (admission on referral)
    "180": _plan_medical_accommodation(
        "Lits halte soins santé (LHSS)",
        "Hébergement temporaire avec soins pour des personnes sans domicile malades, qui n'ont pas besoin "
        "d'être hospitalisées.",
        "Sur orientation d'un médecin ou d'un service social (hôpital, équipe mobile, maraude...)",
        _HOMELESS_PUBLICS,
    ),
    "213": _plan_medical_accommodation(
        "Lits d'accueil médicalisés (LAM)",
        "Hébergement médicalisé pour des personnes sans domicile atteintes de maladies chroniques graves.",
        "Sur orientation d'un médecin ou d'un service social (hôpital, équipe mobile, maraude...)",
        _HOMELESS_PUBLICS,
    ),
    "165": _plan_medical_accommodation(
        "Appartement de coordination thérapeutique (ACT)",
        "Hébergement temporaire avec coordination médicale et accompagnement social, pour des personnes "
        "en situation de précarité atteintes d'une maladie chronique.",
        "Sur dossier de candidature (volet médical et volet social)",
        {"welcome": Welcome.exclusive, "description": "Personnes malades chroniques en situation de précarité."},
    ),
    # Accommodation
    "214": _plan_chrs,
    "219": _plan_shelter,
    "442": _plan_cph,
    "443": _plan_cada,
    "258": _plan_pension_de_famille,
    "259": _plan_social_residence,
    "257": _plan_fjt,
    "166": _plan_mother_child,
    # Social services
    "405": _plan_social_service,
    "359": _plan_social_service,  # Val-d'Oise « centres de circonscription sanitaire et sociale »
}

# Kept categories, for the tests and the report.
CATEGORIES_IN_SCOPE = frozenset(_CATEGORY_RULES)


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------


def dataset_path(ctx: ImportContext) -> Path:
    folder = ctx.dataset(INFO.id)
    fetched = folder / FETCHED_FILE_NAME
    return fetched if fetched.is_file() else folder / FILE_NAME


def finess_rows(ctx: ImportContext) -> dict[str, dict[str, str]]:
    """Every FINESS 2021 row by `nofinesset` (with its file line in `_line`), cached for other sources."""
    cached = ctx.cache.get("finess-etablissements-idf:rows")
    if cached is None:
        rows: dict[str, dict[str, str]] = {}
        for line, row in read_csv(dataset_path(ctx)):
            if row.get("nofinesset"):
                rows[row["nofinesset"]] = {**row, "_line": str(line)}
        ctx.cache["finess-etablissements-idf:rows"] = cached = rows
    return cached  # type: ignore[return-value]


def row_location(ctx: ImportContext, row: dict[str, str]) -> tuple[float, float, str, Commune | None]:
    """Position, precision and commune of a FINESS row (commune centre when it has no coordinates)."""
    commune = resolve_commune(ctx, row.get("codepostal"), row.get("ville_acheminement"), row.get("departement"))
    coordinates = parse_coordinates(row.get("lat"), row.get("lon"))
    lat, lon, precision, _ = locate(
        ctx.communes,
        coordinates=coordinates,
        insee_code=commune.insee_code if commune else None,
    )
    return lat, lon, precision, commune


def _publics(spec: dict | None) -> Publics | None:
    return Publics(**spec) if spec else None


def _modalities(spec: dict | None) -> Modalities | None:
    return Modalities(**spec) if spec else None


def _build(ctx: ImportContext, row: dict[str, str], plan: Plan) -> Structure:
    nofinesset = row["nofinesset"]
    if not re.fullmatch(r"\d[\dAB]\d{7}", nofinesset):
        raise RowError(f"numéro FINESS invalide : {nofinesset!r}")
    name = clean_name(row["rs"])
    if not name:
        raise RowError("raison sociale vide")
    lat, lon, precision, commune = row_location(ctx, row)
    structure_id = f"finess-{nofinesset}"
    services = [
        Service(
            id=f"{structure_id}-{service.key}",
            name=service.name,
            description=service.description,
            categories=list(service.categories),
            modalities=_modalities(service.modalities),
        )
        for service in plan.services
    ]
    description = plan.description
    opening = row.get("dateouv") or ""
    if opening > INFO.data_date.isoformat():
        day = date.fromisoformat(opening)
        note = f"Ouverture annoncée dans FINESS pour le {day.strftime('%d/%m/%Y')}, après la date des données."
        description = f"{description} {note}" if description else note
    if precision == "commune":
        note = "Adresse précise inconnue dans la source : position approximative (centre de la commune)."
        description = f"{description} {note}" if description else note
    siret = row.get("siret") or None
    if siret and not re.fullmatch(r"\d{14}", siret):
        siret = None
    phone = french_phone(row.get("telephone"))
    department = commune.department if commune else (row.get("departement") or None)
    city = row.get("ville_acheminement") or ""
    return Structure(
        id=structure_id,
        name=name,
        kind=plan.kind,
        description=description,
        address=format_street(row.get("adresse")),
        address_complement=format_complement(row.get("adresse_complement")),
        postcode=street_postcode(row.get("codepostal"), row.get("ville_acheminement"), commune),
        insee_code=commune.insee_code if commune else None,
        commune=commune_label(commune) if commune else (title_fr(_CEDEX.sub("", city)) or None),
        department=department,
        lat=lat,
        lon=lon,
        location_precision=precision,  # type: ignore[arg-type]
        phones=[phone] if phone else [],
        finess=nofinesset,
        siret=siret,
        services=services,
        publics=_publics(plan.publics),
        modalities=_modalities(plan.modalities),
        hours=None,  # FINESS has no opening hours: unknown
        last_verified=None,
        sources=[INFO.provenance(nofinesset)],
    )


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = dataset_path(ctx)
    for line, row in read_csv(path):
        record_id = row.get("nofinesset") or None
        try:
            check_row_shape(row)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), record_id)
            continue
        category = row["categetab"]
        rule = _CATEGORY_RULES.get(category)
        if rule is None:
            yield INFO.out_of_scope(path, line, f"catégorie FINESS {category or '?'} hors périmètre", record_id)
            continue
        try:
            plan = rule(row)
        except OutOfScope as exc:
            yield INFO.out_of_scope(path, line, str(exc), record_id)
            continue
        try:
            yield _build(ctx, row, plan)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), record_id)
        except ValidationError as exc:
            fields = ", ".join(sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]}))
            yield INFO.reject(path, line, f"valeur invalide ({fields or 'enregistrement'})", record_id)
