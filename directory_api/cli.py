"""`directory`: the command line (import, schema, index, serve)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from directory_api.settings import Settings

app = typer.Typer(help="Annuaire d'orientation Île-de-France.", no_args_is_help=True)


@app.command("import")
def import_(
    datasets: Path = typer.Option(None, help="Dossier des jeux de données (défaut : ../shared/datasets)."),
) -> None:
    """Importe toutes les sources dans data/structures/ (idempotent)."""
    from directory_api.importer import run_import

    settings = Settings()
    summary = run_import(datasets or settings.datasets_dir)
    typer.echo(
        f"{summary['structures']} structures, {summary['rejects']} lignes rejetées "
        "(voir data/structures/rejects.csv)"
    )
    for source, counts in summary["sources"].items():  # type: ignore[union-attr]
        typer.echo(f"  {source}: {counts['structures']} structures, {counts['rejects']} rejets")


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
    options = {"host": host or settings.host, "port": port or settings.port, "access_log": False}
    workers = workers or settings.web_concurrency
    if workers > 1:  # each process loads its own settings from the environment
        uvicorn.run("directory_api.api.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


if __name__ == "__main__":
    app()
