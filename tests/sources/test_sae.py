"""SAE IVG mapping, on the real files in ../shared/datasets/sae-2023/ and sae-2024/."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from directory_api.geography.communes import CommuneIndex
from directory_api.models import Reject, Structure
from directory_api.sources import finess_etablissements_idf as finess
from directory_api.sources import sae_ivg
from directory_api.sources.base import ImportContext


@pytest.fixture(scope="module")
def items(import_context) -> list[Structure | Reject]:
    return list(sae_ivg.read(import_context))


@pytest.fixture(scope="module")
def structures(items) -> dict[str, Structure]:
    return {item.id: item for item in items if isinstance(item, Structure)}


@pytest.fixture(scope="module")
def rejects(items) -> list[Reject]:
    return [item for item in items if isinstance(item, Reject)]


def _ivg_file(datasets_dir, year: int) -> list[dict[str, str]]:
    path = datasets_dir / f"sae-{year}" / f"ivg_etablissements_idf_{year}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(("year", "rows"), [(2023, 96), (2024, 94)])
def test_should_account_for_every_row_of_each_year(datasets_dir, structures, rejects, year, rows):
    source = f"sae-{year}"
    in_structures = sum(any(p.source == source for p in s.sources) for s in structures.values())
    in_rejects = sum(r.file == f"ivg_etablissements_idf_{year}.csv" for r in rejects)
    assert in_structures + in_rejects == len(_ivg_file(datasets_dir, year)) == rows


def test_should_produce_one_structure_per_establishment(structures):
    assert len({s.finess for s in structures.values()}) == len(structures) == 90


def test_should_keep_ids_stable_across_two_reads(import_context, items):
    again = list(sae_ivg.read(import_context))
    assert [i.model_dump() for i in again] == [i.model_dump() for i in items]


def test_should_claim_abortion_only_where_the_latest_sae_year_counts_ivg(datasets_dir, structures):
    latest: dict[str, int] = {}
    for year in (2023, 2024):
        for row in _ivg_file(datasets_dir, year):
            latest[row["FI"]] = int(row["IVG"] or 0)
    for structure in structures.values():
        assert "abortion" in structure.categories()
        assert latest[structure.finess] > 0


def test_should_return_creteil_hospital_with_sae_2023_provenance(structures):
    creteil = structures["sae-940000573"]
    assert creteil.name == "Centre hospitalier intercommunal de Créteil"
    assert creteil.commune == "Créteil" and creteil.department == "94"
    assert [p.source for p in creteil.sources] == ["sae-2023", "sae-2024", "finess-etablissements-idf"]
    assert creteil.sources[0].source_record_id == "940000573"
    assert creteil.sources[0].data_date == date(2023, 12, 31)


def test_should_take_coordinates_and_phone_from_finess(structures):
    creteil = structures["sae-940000573"]
    assert (creteil.lat, creteil.lon, creteil.location_precision) == (48.7976051, 2.4645031, "address")
    assert creteil.phones == ["01 45 17 50 00"]
    assert creteil.address == "40 avenue de Verdun"
    assert creteil.sources[-1].fields == ["address", "address_complement", "postcode", "lat", "lon", "phones"]


def test_should_describe_medicamentous_and_instrumental_ivg_in_french(structures):
    description = structures["sae-940000573"].services[0].description
    assert "En 2024 : 848 IVG, dont 570 médicamenteuses et 278 instrumentales (par aspiration)" in description
    assert "En 2023 : 713 IVG." in description


def test_should_use_the_commune_centre_for_a_site_missing_from_finess(structures):
    saclay = structures["sae-910026780"]  # Hôpital Paris-Saclay, opened after the FINESS 2021 extraction
    assert saclay.location_precision == "commune"
    assert (saclay.lat, saclay.lon) == (48.70044, 2.18729)  # Orsay
    assert [p.source for p in saclay.sources] == ["sae-2024"]


def test_should_keep_a_site_whose_ivg_started_in_2024(structures):
    foch = structures["sae-920000650"]
    assert "aucune IVG déclarée" in foch.services[0].description


def test_should_leave_out_a_site_that_stopped_ivg_in_2024(rejects):
    stopped = [r for r in rejects if r.record_id == "780018727"]  # Clinique Saint-Germain: 1 in 2023, 0 in 2024
    assert {(r.file, r.line, r.reason) for r in stopped} == {
        ("ivg_etablissements_idf_2023.csv", 35, "IVG en 2023 mais aucune déclarée en 2024 (SAE 2024)"),
        ("ivg_etablissements_idf_2024.csv", 35, "aucune IVG déclarée (SAE)"),
    }
    assert all(r.out_of_scope for r in stopped)


def test_should_leave_out_a_site_without_ivg_answer(rejects):
    (plateau,) = [r for r in rejects if r.record_id == "950300095"]
    assert plateau.reason == "activité IVG non renseignée (SAE 2023)"
    assert plateau.out_of_scope is True


def test_should_warn_when_a_2023_provider_is_absent_from_2024(structures):
    assert "n'apparaît pas dans la SAE 2024" in structures["sae-780300208"].services[0].description


def test_should_add_pregnancy_care_for_maternities(structures):
    assert structures["sae-940000573"].categories() == ["abortion", "pregnancy_care"]


def test_should_say_ivg_is_free_in_public_hospitals(structures):
    modalities = structures["sae-940000573"].services[0].modalities
    assert modalities.free is True
    assert "mineures" in modalities.other


def test_should_not_duplicate_finess_records(import_context, structures):
    finess_ids = {item.finess for item in finess.read(import_context) if isinstance(item, Structure)}
    assert not finess_ids & {s.finess for s in structures.values()}


def test_should_fall_back_to_the_sae_address_when_finess_is_missing(datasets_dir, tmp_path):
    # Same SAE files, empty FINESS file: every provider is placed at its commune centre.
    (tmp_path / "finess-etablissements-idf").mkdir()
    header = (datasets_dir / "finess-etablissements-idf" / finess.FILE_NAME).read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "finess-etablissements-idf" / finess.FILE_NAME).write_text(header + "\n", encoding="utf-8")
    for year in (2023, 2024):
        (tmp_path / f"sae-{year}").symlink_to(datasets_dir / f"sae-{year}")
    ctx = ImportContext(datasets_dir=tmp_path, communes=CommuneIndex.from_shared(datasets_dir / "communes-idf"))
    creteil = next(s for s in sae_ivg.read(ctx) if isinstance(s, Structure) and s.id == "sae-940000573")
    assert creteil.location_precision == "commune"
    assert creteil.address == "40 avenue de Verdun"
    assert [p.source for p in creteil.sources] == ["sae-2023", "sae-2024"]
