"""Import of every source into the normalised dataset in `data/structures/`.

- one JSON Lines file per source (ODbL sources stay separable), records sorted by id and written
  deterministically, so that a re-import of the same data changes no byte (idempotent);
- `rejects.csv`: every row that did not become a structure, with file, line and reason;
- `import-report.json`: counts per source, category and département;
- `refresh-report.json`: what this import changed per source (ids added, changed, removed) and which
  sources kept their previous data, with the reason.

Safe refresh: every source is read before anything is written, then each file is written to a
temporary sibling and moved into place with `os.replace`, so a crash leaves the previous files. A source
that cannot be read (its module raises, a file is missing, truncated, badly encoded, its columns moved)
or that yields no structure, or that suddenly loses more than `max_loss` of its structures, keeps its
previous file, rejects and counts; the other sources are refreshed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from directory_api.fetch.runner import published_date
from directory_api.geography.build import build_places
from directory_api.geography.communes import CommuneIndex
from directory_api.merge import RULES, MergeGroup, apply_groups, find_groups, main_source
from directory_api.models import Reject, Structure
from directory_api.sources import all_sources
from directory_api.sources.base import ImportContext, SourceModule

REPO_ROOT = Path(__file__).resolve().parent.parent
STRUCTURES_DIR = REPO_ROOT / "data" / "structures"
PLACES_DIR = REPO_ROOT / "data" / "places"

DEFAULT_MAX_LOSS = 0.2  # a source losing more than 20 % of its structures at once is more likely broken
MAX_LISTED_IDS = 100  # ids listed per kind of change in refresh-report.json; counts are always complete
REJECTS_SAMPLE = 5  # first rejects shown for a source kept back, enough to see what went wrong
MERGE_REPORT = "merge-report.json"

Status = Literal["refreshed", "kept_previous"]


class SourceFailure(Exception):
    """A source whose new data is not trusted; the message is the reason, in French."""


@dataclass
class SourceResult:
    module: SourceModule
    structures: list[Structure] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    # refreshed: new data written; kept_previous: new data refused, the data in place is kept as it is.
    status: Status = "refreshed"
    reason: str | None = None
    in_place: bool = True  # False for a source refused at its first import: no file to describe
    previous_entry: dict[str, object] | None = None  # its import-report entry, kept verbatim when kept back
    # The .jsonl lines in place after this import: the new ones, or the previous ones when kept back
    # (kept as text: parsing them again as models would cost a second per import for nothing).
    lines: list[str] = field(default_factory=list)
    diff: dict[str, list[str]] = field(default_factory=lambda: {"added": [], "changed": [], "removed": []})
    read: dict[str, object] | None = None  # what the refused run read, for the diagnosis
    data_date: date | None = None  # the publisher's date of a fetched version (else INFO.data_date)


@dataclass
class PreviousData:
    """The data in place before this import: the fallback of a source kept back, and the diff base."""

    lines: dict[str, list[str]] = field(default_factory=dict)  # source id → its .jsonl lines
    entries: dict[str, dict[str, object]] = field(default_factory=dict)  # source id → import-report entry
    rejects: dict[str, list[Reject]] = field(default_factory=dict)  # source id → its rows of rejects.csv

    @classmethod
    def load(cls, directory: Path) -> PreviousData:
        previous = cls()
        for path in sorted(directory.glob("*.jsonl")):
            previous.lines[path.stem] = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
        try:
            report = json.loads((directory / "import-report.json").read_text(encoding="utf-8"))
            previous.entries = dict(report.get("sources", {}))
        except (OSError, ValueError, AttributeError):
            pass  # no usable report: entries are recomputed from the kept files
        try:
            with (directory / "rejects.csv").open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    previous.rejects.setdefault(row["source"], []).append(
                        Reject(
                            source=row["source"],
                            file=row["file"],
                            line=int(row["line"]),
                            record_id=row["record_id"] or None,
                            reason=row["reason"],
                        )
                    )
        except (OSError, ValueError, KeyError):
            pass
        return previous


@dataclass
class ImportOutcome:
    report: dict[str, object]  # import-report.json
    refresh: dict[str, object]  # refresh-report.json
    first_import: list[str] = field(default_factory=list)  # sources without a previous file: no diff
    merges: dict[str, object] = field(default_factory=dict)  # merge-report.json

    @property
    def kept_back(self) -> list[str]:
        return list(self.refresh["kept_previous"])  # type: ignore[call-overload]


def publisher_date(module: SourceModule, ctx: ImportContext) -> date | None:
    """The publisher's date of a folder `directory fetch` made (None for a staged copy: INFO's date)."""
    value = published_date(ctx.dataset(module.INFO.id))
    return date.fromisoformat(value) if value else None


def dated(items: Iterable[Structure | Reject], source: str, data_date: date | None) -> Iterator[Structure | Reject]:
    """The records with the publisher's date of this version on the source's own provenance."""
    for item in items:
        if data_date is not None and isinstance(item, Structure):
            for provenance in item.sources:
                if provenance.source == source:
                    provenance.data_date = data_date
        yield item


def run_source(module: SourceModule, ctx: ImportContext, seen_ids: set[str]) -> SourceResult:
    """Read one source; `seen_ids` (ids of the sources already accepted) is not changed here."""
    result = SourceResult(module, data_date=publisher_date(module, ctx))
    own_ids: set[str] = set()
    items = dated(module.read(ctx), module.INFO.id, result.data_date)
    for item in tqdm(items, desc=module.INFO.id, unit=" lignes", leave=False, disable=None):
        if isinstance(item, Reject):
            result.rejects.append(item)
        elif item.id in seen_ids or item.id in own_ids:
            result.rejects.append(
                Reject(
                    source=module.INFO.id,
                    file="-",
                    line=0,
                    reason=f"identifiant en double : {item.id}",
                    record_id=item.sources[0].source_record_id,
                )
            )
        else:
            own_ids.add(item.id)
            result.structures.append(item)
    result.structures.sort(key=lambda s: s.id)
    return result


def failure_reason(exc: Exception) -> str:
    """Why a source module raised, in French, for the reports."""
    if isinstance(exc, FileNotFoundError):
        return f"fichier introuvable : {Path(exc.filename).name if exc.filename else exc}"
    if isinstance(exc, UnicodeDecodeError):
        byte = exc.object[exc.start : exc.start + 1]
        return f"encodage illisible (octet {byte!r} à la position {exc.start}, {exc.encoding} attendu) : fichier réencodé ?"
    if isinstance(exc, KeyError):
        return f"colonne attendue absente : {exc.args[0]!r} (colonnes renommées ou déplacées ?)"
    if isinstance(exc, csv.Error):
        return f"CSV illisible : {exc}"
    return f"lecture impossible ({type(exc).__name__}) : {exc}"


def check_result(result: SourceResult, previous_count: int, max_loss: float, force: bool) -> None:
    """Raise SourceFailure when the new data looks broken rather than updated."""
    errors = sum(not r.out_of_scope for r in result.rejects)
    rejected = f"{errors} rejet{'s' if errors > 1 else ''}"
    if not result.structures:
        # Not even --force: a source that is really gone is removed with its module.
        raise SourceFailure(f"aucun lieu lu ({rejected}) : fichier vide, tronqué ou colonnes déplacées ?")
    lost = previous_count - len(result.structures)
    if previous_count and lost / previous_count > max_loss and not force:
        raise SourceFailure(
            f"perte de {round(100 * lost / previous_count)} % des lieux ({len(result.structures)} au lieu de "
            f"{previous_count}, {rejected}), au-delà du seuil de {round(100 * max_loss)} % : "
            "--force pour accepter cette baisse"
        )


def read_source(
    module: SourceModule,
    ctx: ImportContext,
    seen_ids: set[str],
    previous: PreviousData,
    max_loss: float,
    force: bool,
) -> SourceResult:
    """The new data of a source if it can be trusted, else its previous data (status and reason say why)."""
    source = module.INFO.id
    old_lines = previous.lines.get(source)
    attempt: SourceResult | None = None
    try:
        attempt = run_source(module, ctx, seen_ids)
        check_result(attempt, len(old_lines or []), max_loss, force)
    except SourceFailure as exc:
        reason = str(exc)
    except Exception as exc:  # any failure of one source must not stop the others
        reason = failure_reason(exc)
    else:
        seen_ids.update(s.id for s in attempt.structures)
        attempt.lines = [structure_line(s) for s in attempt.structures]
        if old_lines is not None:  # without a previous file (first import) there is nothing to compare
            attempt.diff = diff_ids(old_lines, attempt.lines)
        return attempt
    kept = SourceResult(module, status="kept_previous", reason=reason, in_place=old_lines is not None)
    if attempt is not None:  # it was read, but not trusted
        errors = [r for r in attempt.rejects if not r.out_of_scope]
        kept.read = {
            "structures": len(attempt.structures),
            "rejects": len(errors),
            "out_of_scope": len(attempt.rejects) - len(errors),
            "rejects_sample": [f"{r.file}:{r.line} — {r.reason}" for r in errors[:REJECTS_SAMPLE]],
        }
    if old_lines is not None:
        kept.lines = old_lines
        kept.rejects = previous.rejects.get(source, [])
        kept.previous_entry = previous.entries.get(source)
        seen_ids.update(json.loads(line)["id"] for line in old_lines)
    return kept


def diff_ids(old_lines: list[str], new_lines: list[str]) -> dict[str, list[str]]:
    """Ids added, changed (any byte of the record) and removed; lines are deterministic, so equal
    lines mean equal records."""
    old = {json.loads(line)["id"]: line for line in old_lines}
    new = {json.loads(line)["id"]: line for line in new_lines}
    return {
        "added": sorted(new.keys() - old.keys()),
        "changed": sorted(i for i in new.keys() & old.keys() if new[i] != old[i]),
        "removed": sorted(old.keys() - new.keys()),
    }


def structure_line(structure: Structure) -> str:
    # Source records are never merged: their lines carry no empty `merged_ids`.
    return structure.model_dump_json(exclude_none=True, exclude=None if structure.merged_ids else {"merged_ids"})


def read_source_records(directory: Path = STRUCTURES_DIR) -> Iterable[Structure]:
    """Every record of every source file, as imported (before merging)."""
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield Structure.model_validate_json(line)


def merge_groups(directory: Path = STRUCTURES_DIR) -> list[list[str]]:
    """The ids of each group of `merge-report.json`, best first (none without a report)."""
    report_path = directory / MERGE_REPORT
    groups = json.loads(report_path.read_text(encoding="utf-8"))["groups"] if report_path.exists() else []
    return [[member["id"] for member in group["members"]] for group in groups]


def merged_aliases(directory: Path = STRUCTURES_DIR) -> dict[str, str]:
    """Id of a record merged into another structure → that structure's id (old links keep working)."""
    return {alias: ids[0] for ids in merge_groups(directory) for alias in ids[1:]}


def read_structures(directory: Path = STRUCTURES_DIR) -> Iterable[Structure]:
    """The directory as served: the source records, each group of `merge-report.json` merged into one."""
    return apply_groups(read_source_records(directory), merge_groups(directory))


def rejects_text(rejects: list[Reject]) -> str:
    handle = io.StringIO(newline="")
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["source", "file", "line", "record_id", "reason"])
    for r in sorted(rejects, key=lambda r: (r.source, r.file, r.line)):
        writer.writerow([r.source, r.file, r.line, r.record_id or "", r.reason])
    return handle.getvalue()


def write_files(files: dict[Path, str]) -> None:
    """Write every file to a temporary file in its directory, then move them all into place.

    Nothing is replaced until every file is written (a failure leaves the previous set), and
    `os.replace` swaps each file at once: a reader never sees a half-written file. Unchanged files are
    left alone.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            data = text.encode("utf-8")
            if path.is_file() and path.read_bytes() == data:
                continue
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((Path(name), path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp creates 0600 files: keep the mode of the file replaced, so readers keep access.
            os.chmod(name, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)


def source_entry(result: SourceResult) -> dict[str, object]:
    if result.previous_entry is not None:
        return result.previous_entry
    info = result.module.INFO
    return {
        "title": info.title,
        "licence": info.licence,
        "data_date": (result.data_date or info.data_date).isoformat(),
        "structures": len(result.lines),
        "rejects": sum(not r.out_of_scope for r in result.rejects),
        "out_of_scope": dict(sorted(Counter(r.reason for r in result.rejects if r.out_of_scope).items())),
    }


def report(results: list[SourceResult]) -> dict[str, object]:
    """import-report.json; a source kept back keeps its previous entry (its data did not change)."""
    per_category: Counter[str] = Counter()
    per_department: Counter[str] = Counter()
    sources = {r.module.INFO.id: source_entry(r) for r in results if r.in_place}
    for result in results:
        for record in map(json.loads, result.lines):
            per_department[record.get("department") or "?"] += 1
            # as Structure.categories(): each category once per structure
            for category in dict.fromkeys(c for service in record["services"] for c in service["categories"]):
                per_category[category] += 1
    return {
        "structures": sum(e["structures"] for e in sources.values()),  # type: ignore[misc]
        "rejects": sum(e["rejects"] for e in sources.values()),  # type: ignore[misc]
        "out_of_scope": sum(sum(e["out_of_scope"].values()) for e in sources.values()),  # type: ignore[attr-defined]
        "sources": sources,
        "per_department": dict(sorted(per_department.items())),
        "per_category": dict(sorted(per_category.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def refresh_report(results: list[SourceResult]) -> dict[str, object]:
    """refresh-report.json: only what the data says (no date), so an identical re-import rewrites nothing."""
    sources: dict[str, object] = {}
    for result in results:
        entry: dict[str, object] = {"status": result.status, "structures": len(result.lines)}
        if result.reason:
            entry["reason"] = result.reason
        for kind in ("added", "changed", "removed"):
            ids = result.diff[kind]
            entry[kind] = {"count": len(ids), "ids": ids[:MAX_LISTED_IDS]}
        if result.read is not None:
            entry["read"] = result.read
        sources[result.module.INFO.id] = entry
    return {
        "kept_previous": [r.module.INFO.id for r in results if r.status == "kept_previous"],
        "sources": sources,
    }


README_HEADER = """# Données normalisées des structures

Produit par `directory import` (`make import`) à partir des jeux de données ouverts de
`../shared/datasets/` ; ne pas modifier à la main. Un fichier JSON Lines par source, un lieu par
ligne, au format du modèle `directory_api/models.py` (JSON Schema : `data/schema/structure.schema.json`).

- `rejects.csv` : chaque ligne source qui n'a pas pu devenir un lieu (fichier, ligne, raison).
- `import-report.json` : nombre de lieux, de rejets et de lignes hors périmètre par source ;
  lieux par catégorie et par département. Chaque ligne de chaque fichier est comptée.
- `refresh-report.json` : ce que le dernier import a changé, source par source (identifiants
  ajoutés, modifiés, supprimés : leur nombre et les 100 premiers), et les sources gardées à leur
  état précédent, avec la raison.
- `merge-report.json` : les fiches de sources différentes qui décrivent le même lieu (toilettes de la
  Ville et d'OpenStreetMap, bains-douches des deux listes de la Ville…), groupe par groupe, avec la règle,
  la distance et la ressemblance des noms ; l'annuaire servi les fusionne en un seul lieu
  (`directory_api/merge.py`, revue dans `docs/data-quality.md`). Les fichiers `.jsonl` restent ceux des
  sources, non fusionnés.
- Chaque lieu garde sa provenance (`sources` : source, identifiant d'origine, licence, date des données).
  `last_verified` est vide : aucune de ces fiches n'a été vérifiée par une personne.

## Rafraîchissement sûr

`directory import` lit toutes les sources avant d'écrire quoi que ce soit, puis remplace chaque
fichier d'un coup (fichier temporaire dans ce dossier, puis `os.replace`) : un import interrompu
laisse les fichiers précédents. Une source qui ne se lit pas (module en erreur, fichier absent,
tronqué, mal encodé, colonnes déplacées, aucun lieu) ou qui perd d'un coup plus de 20 % de ses
lieux garde ses données précédentes (son `.jsonl`, ses rejets, ses comptes) : statut
`kept_previous` et raison dans `refresh-report.json` et sur la console. Les autres sources sont
rafraîchies, et la commande sort avec le code 3 pour qu'un rafraîchissement programmé ne passe pas
inaperçu. Le seuil se règle par `--max-loss 0.3` (ou `IMPORT_MAX_LOSS`) ; `--force` accepte une
baisse voulue, mais jamais une source vide. Au premier import d'une source (pas de fichier
précédent), il n'y a rien à comparer : aucune différence n'est listée.

## Sources et licences

Merci aux producteurs de ces données. Les sources sous **ODbL** (Open Database License) sont gardées
dans des fichiers séparés : toute base dérivée de ces fichiers doit citer la source et être partagée
sous la même licence. Les sources sous **Licence Ouverte / Etalab 2.0** demandent de citer la source
et la date de mise à jour.

| fichier | source | producteur | licence | date des données | lieux | rejets | hors périmètre |
|---|---|---|---|---|---:|---:|---:|
"""

README_FOOTER = """
## Ce qui manque encore (aucune copie ouverte disponible ici)

Distributions alimentaires (Restos du Cœur, Secours populaire, banques alimentaires, épiceries
solidaires), accueils de jour, domiciliation, bagageries, laveries solidaires, permanences
juridiques, listes 115 / SIAO, aide vétérinaire. Aucun lieu n'a été inventé pour combler ces
manques : en déploiement, le connecteur data·inclusion (DORA, Soliguide…) les apporte avec un jeton
(`DATA_INCLUSION_TOKEN=… make refresh`, voir `docs/data.md`) ; d'ici là, chaque recherche donne
l'aide à distance qui répond à ce besoin (`data/remote-services.yml`).

Les positions sans coordonnées dans la source sont placées au centre de leur commune
(`location_precision: "commune"`) : il n'y a pas de base d'adresses hors ligne.
"""


def readme_text(results: list[SourceResult], entries: dict[str, dict[str, object]]) -> str:
    """The README of the data; dates and counts come from the report, so that a source kept back
    keeps the line of its previous data."""
    rows = []
    for result in sorted(results, key=lambda r: r.module.INFO.id):
        info = result.module.INFO
        entry = entries.get(info.id)
        if entry is None:  # refused at its first import: no file to describe
            continue
        licence = f"[{info.licence}]({info.licence_url})" if info.licence_url else info.licence
        source = f"[{info.title}]({info.url})" if info.url else info.title
        rows.append(
            f"| `{info.id}.jsonl` | {source} | {info.publisher} | {licence} | {entry['data_date']} | "
            f"{entry['structures']} | {entry['rejects']} | {sum(entry['out_of_scope'].values())} |"  # type: ignore[attr-defined]
        )
    return README_HEADER + "\n".join(rows) + "\n" + README_FOOTER


def merge_report(results: list[SourceResult]) -> dict[str, object]:
    """merge-report.json: the records each source gave, the groups of records of one place (ids best
    first: the first id is the merged structure's), and counts per source and per pair of sources."""
    records: list[Structure] = []
    for result in results:
        if result.status == "refreshed":
            records.extend(result.structures)
        else:  # kept back: its previous lines are what is served
            records.extend(Structure.model_validate_json(line) for line in result.lines)
    groups = find_groups(records)
    per_source: dict[str, dict[str, int]] = {}
    for record in records:
        per_source.setdefault(main_source(record), {"records": 0, "merged": 0})["records"] += 1
    per_pair: Counter[str] = Counter()
    per_rule: Counter[str] = Counter()
    for group in groups:
        sources = sorted(main_source(m) for m in group.members)
        per_pair[" + ".join(sources)] += 1
        per_rule.update(m.rule for m in group.matches)
        for member in group.members:
            per_source[main_source(member)]["merged"] += 1
    merged_records = sum(len(g.members) for g in groups)
    return {
        "records_in": len(records),
        "structures_out": len(records) - merged_records + len(groups),
        "merged_groups": len(groups),
        "records_merged": merged_records,
        "rules": [
            {
                "name": rule.name,
                "categories": sorted(rule.categories) if rule.categories else "toutes les autres",
                "max_distance_m": rule.max_distance_m,
                "min_name_score": rule.min_name_score,
            }
            for rule in RULES
        ],
        "per_source": dict(sorted(per_source.items())),
        "per_source_pair": dict(sorted(per_pair.items(), key=lambda kv: (-kv[1], kv[0]))),
        "per_rule": dict(sorted(per_rule.items())),
        "groups": [group_entry(g) for g in groups],
    }


def group_entry(group: MergeGroup) -> dict[str, object]:
    return {
        "members": [
            {"id": m.id, "source": main_source(m), "name": m.name, "address": m.address} for m in group.members
        ],
        "matches": [
            {"rule": m.rule, "distance_m": round(m.distance_m, 1), "name_score": None if m.name_score is None else round(m.name_score)}
            for m in group.matches
        ],
    }


def dump_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def run_import(
    datasets_dir: Path,
    out_dir: Path = STRUCTURES_DIR,
    places_dir: Path = PLACES_DIR,
    *,
    max_loss: float = DEFAULT_MAX_LOSS,
    force: bool = False,
) -> ImportOutcome:
    """Read every source, then swap the whole data set in; see the module docstring for the rules."""
    communes = CommuneIndex.from_shared(datasets_dir / "communes-idf")
    ctx = ImportContext(datasets_dir=datasets_dir, communes=communes)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = PreviousData.load(out_dir)
    seen_ids: set[str] = set()
    # A source that needs the operator (a token) and was never set up is not part of this directory.
    modules = [m for m in all_sources() if getattr(m, "is_configured", lambda _ctx: True)(ctx)]
    results = [read_source(module, ctx, seen_ids, previous, max_loss, force) for module in modules]
    summary = report(results)
    refresh = refresh_report(results)
    merges = merge_report(results)
    # Nothing is written before every source was read; a source kept back keeps its file untouched.
    files = {
        out_dir / f"{r.module.INFO.id}.jsonl": "".join(line + "\n" for line in r.lines)
        for r in results
        if r.status == "refreshed"
    }
    files[out_dir / "rejects.csv"] = rejects_text([r for res in results for r in res.rejects if not r.out_of_scope])
    files[out_dir / "import-report.json"] = dump_json(summary)
    files[out_dir / "refresh-report.json"] = dump_json(refresh)
    files[out_dir / MERGE_REPORT] = dump_json(merges)
    files[out_dir / "README.md"] = readme_text(results, summary["sources"])  # type: ignore[arg-type]
    write_files(files)
    build_places(datasets_dir, places_dir)
    first_import = [r.module.INFO.id for r in results if r.module.INFO.id not in previous.lines]
    return ImportOutcome(summary, refresh, first_import, merges)
