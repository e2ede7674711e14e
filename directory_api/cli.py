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


if __name__ == "__main__":
    app()
