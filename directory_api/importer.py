"""Import of every source into the normalised dataset in `data/structures/`.

- one JSON Lines file per source (ODbL sources stay separable), records sorted by id and written
  deterministically, so that a re-import of the same data changes no byte (idempotent);
- `rejects.csv`: every row that did not become a structure, with file, line and reason;
- `import-report.json`: counts per source, category and département.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from directory_api.geography.build import build_places
from directory_api.geography.communes import CommuneIndex
from directory_api.models import Reject, Structure
from directory_api.sources import all_sources
from directory_api.sources.base import ImportContext, SourceModule

REPO_ROOT = Path(__file__).resolve().parent.parent
STRUCTURES_DIR = REPO_ROOT / "data" / "structures"
PLACES_DIR = REPO_ROOT / "data" / "places"


@dataclass
class SourceResult:
    module: SourceModule
    structures: list[Structure] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def run_source(module: SourceModule, ctx: ImportContext, seen_ids: set[str]) -> SourceResult:
    result = SourceResult(module)
    items = module.read(ctx)
    for item in tqdm(items, desc=module.INFO.id, unit=" lignes", leave=False, disable=None):
        if isinstance(item, Reject):
            result.rejects.append(item)
        elif item.id in seen_ids:
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
            seen_ids.add(item.id)
            result.structures.append(item)
    result.structures.sort(key=lambda s: s.id)
    return result


def write_structures(path: Path, structures: Iterable[Structure]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for structure in structures:
            handle.write(structure.model_dump_json(exclude_none=True) + "\n")


def read_structures(directory: Path = STRUCTURES_DIR) -> Iterable[Structure]:
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield Structure.model_validate_json(line)


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "file", "line", "record_id", "reason"])
        for r in sorted(rejects, key=lambda r: (r.source, r.file, r.line)):
            writer.writerow([r.source, r.file, r.line, r.record_id or "", r.reason])


def report(results: list[SourceResult]) -> dict[str, object]:
    per_category: Counter[str] = Counter()
    per_department: Counter[str] = Counter()
    sources = {}
    for result in results:
        info = result.module.INFO
        sources[info.id] = {
            "title": info.title,
            "licence": info.licence,
            "data_date": info.data_date.isoformat(),
            "structures": len(result.structures),
            "rejects": sum(not r.out_of_scope for r in result.rejects),
            "out_of_scope": dict(
                sorted(Counter(r.reason for r in result.rejects if r.out_of_scope).items())
            ),
        }
        for structure in result.structures:
            per_department[structure.department or "?"] += 1
            for category in structure.categories():
                per_category[category] += 1
    return {
        "structures": sum(len(r.structures) for r in results),
        "rejects": sum(not r.out_of_scope for res in results for r in res.rejects),
        "out_of_scope": sum(r.out_of_scope for res in results for r in res.rejects),
        "sources": sources,
        "per_department": dict(sorted(per_department.items())),
        "per_category": dict(sorted(per_category.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


README_HEADER = """# Données normalisées des structures

Produit par `directory import` (`make import`) à partir des jeux de données ouverts de
`../shared/datasets/` ; ne pas modifier à la main. Un fichier JSON Lines par source, un lieu par
ligne, au format du modèle `directory_api/models.py` (JSON Schema : `data/schema/structure.schema.json`).

- `rejects.csv` : chaque ligne source qui n'a pas pu devenir un lieu (fichier, ligne, raison).
- `import-report.json` : nombre de lieux, de rejets et de lignes hors périmètre par source ;
  lieux par catégorie et par département. Chaque ligne de chaque fichier est comptée.
- Chaque lieu garde sa provenance (`sources` : source, identifiant d'origine, licence, date des données).
  `last_verified` est vide : aucune de ces fiches n'a été vérifiée par une personne.

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
manques : les futures sources (export Soliguide ou data·inclusion, par exemple) s'ajoutent par un
nouveau module dans `directory_api/sources/`.

Les positions sans coordonnées dans la source sont placées au centre de leur commune
(`location_precision: "commune"`) : il n'y a pas de base d'adresses hors ligne.
"""


def write_readme(path: Path, results: list[SourceResult]) -> None:
    rows = []
    for result in sorted(results, key=lambda r: r.module.INFO.id):
        info = result.module.INFO
        licence = f"[{info.licence}]({info.licence_url})" if info.licence_url else info.licence
        source = f"[{info.title}]({info.url})" if info.url else info.title
        rows.append(
            f"| `{info.id}.jsonl` | {source} | {info.publisher} | {licence} | {info.data_date.isoformat()} | "
            f"{len(result.structures)} | {sum(not r.out_of_scope for r in result.rejects)} | "
            f"{sum(r.out_of_scope for r in result.rejects)} |"
        )
    path.write_text(README_HEADER + "\n".join(rows) + "\n" + README_FOOTER, encoding="utf-8")


def run_import(
    datasets_dir: Path,
    out_dir: Path = STRUCTURES_DIR,
    places_dir: Path = PLACES_DIR,
) -> dict[str, object]:
    communes = CommuneIndex.from_shared(datasets_dir / "communes-idf")
    ctx = ImportContext(datasets_dir=datasets_dir, communes=communes)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[SourceResult] = []
    seen_ids: set[str] = set()
    for module in all_sources():
        result = run_source(module, ctx, seen_ids)
        write_structures(out_dir / f"{module.INFO.id}.jsonl", result.structures)
        results.append(result)
    write_rejects(out_dir / "rejects.csv", [r for res in results for r in res.rejects if not r.out_of_scope])
    summary = report(results)
    write_readme(out_dir / "README.md", results)
    (out_dir / "import-report.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    build_places(datasets_dir, places_dir)
    return summary
