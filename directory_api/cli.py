"""`directory`: the command line (import, schema, index, serve)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from directory_api.settings import Settings

app = typer.Typer(help="Annuaire d'orientation Île-de-France.", no_args_is_help=True)


KEPT_BACK_EXIT_CODE = 3  # a source kept its previous data: distinct from a crash (1) and a usage error (2)


@app.command("import")
def import_(
    datasets: Path = typer.Option(None, help="Dossier des jeux de données (défaut : var/fetch/datasets après un `directory fetch`, sinon ../shared/datasets)."),
    max_loss: float = typer.Option(
        None,
        min=0.0,
        max=1.0,
        help="Part des lieux qu'une source peut perdre d'un coup ; au-delà elle garde ses données "
        "précédentes (défaut : IMPORT_MAX_LOSS ou 0.2, soit 20 %).",
    ),
    force: bool = typer.Option(False, "--force", help="Accepte une baisse au-delà du seuil (jamais une source vide)."),
) -> None:
    """Importe toutes les sources dans data/structures/ (idempotent ; une source illisible garde ses données)."""
    settings = Settings()
    run_and_report_import(settings, datasets or settings.import_datasets_dir, max_loss, force)


def run_and_report_import(settings: Settings, datasets: Path, max_loss: float | None, force: bool) -> None:
    from directory_api.importer import run_import

    typer.echo(f"jeux de données : {datasets}")
    outcome = run_import(
        datasets,
        settings.data_dir / "structures",
        settings.data_dir / "places",
        max_loss=settings.import_max_loss if max_loss is None else max_loss,
        force=force,
    )
    summary = outcome.report
    typer.echo(
        f"{summary['structures']} structures, {summary['rejects']} lignes rejetées "
        "(voir data/structures/rejects.csv)"
    )
    counts = summary["sources"]
    for source, entry in outcome.refresh["sources"].items():  # type: ignore[attr-defined]
        rejects = counts.get(source, {}).get("rejects", 0)  # type: ignore[attr-defined]
        line = f"  {source} : {entry['structures']} lieux, {rejects} rejet{'s' if rejects > 1 else ''} — "
        if entry["status"] == "kept_previous" and source in outcome.first_import:
            line += f"REFUSÉE, sans données précédentes à garder : {entry['reason']}"
        elif entry["status"] == "kept_previous":
            line += f"DONNÉES PRÉCÉDENTES GARDÉES : {entry['reason']}"
        elif source in outcome.first_import:
            line += "premier import"
        else:
            line += _changes(entry)
        typer.echo(line)
    merges = outcome.merges
    typer.echo(
        f"Fusion : {merges['records_in']} fiches → {merges['structures_out']} lieux, "
        f"{merges['merged_groups']} groupes de fiches d'un même lieu (voir data/structures/merge-report.json)"
    )
    for pair, count in merges["per_source_pair"].items():  # type: ignore[attr-defined]
        typer.echo(f"  {pair} : {count}")
    if outcome.kept_back:
        typer.echo(
            f"{len(outcome.kept_back)} source(s) gardée(s) à leur état précédent : {', '.join(outcome.kept_back)} "
            "(détails dans data/structures/refresh-report.json ; --force accepte une baisse voulue)",
            err=True,
        )
        raise typer.Exit(KEPT_BACK_EXIT_CODE)


@app.command()
def fetch(
    only: list[str] = typer.Option(None, "--only", help="Seulement cette source (répétable)."),
    mirror: str = typer.Option(None, help="Miroir des éditeurs (défaut : FETCH_MIRROR)."),
    import_after: bool = typer.Option(True, "--import/--no-import", help="Lance l'import après le téléchargement."),
    max_loss: float = typer.Option(None, min=0.0, max=1.0, help="Comme pour `directory import`."),
    force: bool = typer.Option(False, "--force", help="Comme pour `directory import`."),
) -> None:
    """Télécharge la version actuelle de chaque source chez son éditeur, puis importe (données précédentes
    gardées pour toute source en échec)."""
    from directory_api.fetch.runner import STATUS_LABELS, publications, run_fetch

    settings = Settings()
    unknown = sorted(set(only or []) - publications().keys())
    if unknown:
        raise typer.BadParameter(f"source(s) inconnue(s) : {', '.join(unknown)}", param_hint="--only")
    token = settings.data_inclusion_token.get_secret_value() if settings.data_inclusion_token else None
    outcome = run_fetch(
        settings.datasets_dir, settings.fetch_dir, mirror=mirror or settings.fetch_mirror,
        data_inclusion_token=token, only=only or None,
    )
    for source, state in outcome.sources.items():
        line = f"  {source} : {STATUS_LABELS[state.status]}"
        if state.data_date:
            line += f", données du {state.data_date}"
        if state.reason:
            line += f" — {state.reason}"
        typer.echo(line, err=state.status == "failed")
    if import_after:  # exits 3 itself when a source is kept back by the import's own checks
        run_and_report_import(settings, outcome.datasets_dir, max_loss, force)
    if outcome.failed:
        typer.echo(f"{len(outcome.failed)} source(s) en échec, données précédentes gardées : {', '.join(outcome.failed)}", err=True)
        raise typer.Exit(KEPT_BACK_EXIT_CODE)


def _changes(entry: dict[str, dict[str, int]]) -> str:
    parts = []
    for kind, label in (("added", "ajouté"), ("changed", "modifié"), ("removed", "supprimé")):
        count = entry[kind]["count"]
        if count:
            parts.append(f"{count} {label}{'s' if count > 1 else ''}")
    return ", ".join(parts) if parts else "aucun changement"


@app.command()
def schema(out: Path = typer.Option(None, help="Dossier de sortie (défaut : data/schema).")) -> None:
    """Écrit le JSON Schema du modèle de données."""
    from directory_api.models import Structure

    settings = Settings()
    target = out or settings.data_dir / "schema"
    target.mkdir(parents=True, exist_ok=True)
    path = target / "structure.schema.json"
    path.write_text(
        json.dumps(Structure.model_json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    typer.echo(f"écrit : {path}")


@app.command()
def openapi(out: Path = typer.Option(None, help="Fichier de sortie (défaut : docs/openapi.json).")) -> None:
    """Écrit le document OpenAPI de l'API (instantané vérifié par les tests)."""
    from directory_api.api.app import create_app

    target = out or Settings().data_dir.parent / "docs" / "openapi.json"
    spec = create_app().openapi()
    target.write_text(json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(f"écrit : {target}")


@app.command("build-index")
def build_index(
    path: Path = typer.Option(None, help="Fichier d'index embarqué (défaut : var/directory.sqlite)."),
    backend: str = typer.Option(None, help="Moteur : embedded ou elasticsearch (défaut : SEARCH_BACKEND)."),
) -> None:
    """Construit l'index de recherche à partir de data/structures/ (nouvel index, bascule atomique)."""
    import time

    from tqdm import tqdm

    from directory_api.importer import read_structures

    overrides: dict[str, object] = {}
    if path:
        overrides["index_path"] = path
    if backend:
        overrides["search_backend"] = backend
    settings = Settings(**overrides)  # type: ignore[arg-type]
    engine = settings.make_backend()
    started = time.perf_counter()
    structures = tqdm(read_structures(settings.data_dir / "structures"), desc="lecture", unit=" lieux", disable=None)
    from directory_api.search.indexing import data_fingerprint

    count = engine.bulk_load(structures, fingerprint=data_fingerprint(settings.data_dir))
    where = settings.elasticsearch_url if settings.search_backend == "elasticsearch" else settings.index_path
    typer.echo(f"{count} lieux indexés ({settings.search_backend}, {where}) en {time.perf_counter() - started:.1f} s")


@app.command()
def serve(
    host: str = typer.Option(None, help="Adresse d'écoute (défaut : 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (défaut : 8000)."),
    ensure_index: bool = typer.Option(False, help="Construit l'index s'il manque ou si les données ont changé."),
    workers: int = typer.Option(None, help="Processus serveurs (défaut : WEB_CONCURRENCY ou 1)."),
) -> None:
    """Sert l'API sur http://HOST:PORT (moteur choisi par SEARCH_BACKEND, embarqué par défaut)."""
    import uvicorn

    from directory_api.api.app import create_app

    settings = Settings()
    if ensure_index:
        from directory_api.search.indexing import ensure_index as build_if_needed

        built = build_if_needed(settings.make_backend(), settings.data_dir)
        typer.echo("index construit" if built else "index à jour")
    # access_log off: URLs carry what people search for (needs, places); we log no query text.
    # X-Forwarded-For is believed only from the proxies named in FORWARDED_ALLOW_IPS (none by default;
    # uvicorn alone would trust 127.0.0.1), so that nobody can choose the address they are counted under.
    trusted = settings.forwarded_allow_ips.strip()
    options = {
        "host": host or settings.host, "port": port or settings.port, "access_log": False,
        "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or "",
    }
    workers = workers or settings.web_concurrency
    if workers > 1:  # each process loads its own settings from the environment
        uvicorn.run("directory_api.api.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


if __name__ == "__main__":
    app()
