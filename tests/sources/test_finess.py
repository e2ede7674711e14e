"""FINESS 2021 mapping, on the real file in ../shared/datasets/finess-etablissements-idf/."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from directory_api.models import Reject, Structure
from directory_api.sources import finess_etablissements_idf as finess


@pytest.fixture(scope="module")
def items(import_context) -> list[Structure | Reject]:
    return list(finess.read(import_context))


@pytest.fixture(scope="module")
def structures(items) -> dict[str, Structure]:
    return {item.id: item for item in items if isinstance(item, Structure)}


@pytest.fixture(scope="module")
def rejects(items) -> dict[str, Reject]:
    return {item.record_id: item for item in items if isinstance(item, Reject)}


@pytest.fixture(scope="module")
def file_rows(import_context) -> list[dict[str, str]]:
    with finess.dataset_path(import_context).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_should_account_for_every_row_of_the_file(items, file_rows):
    assert len(items) == len(file_rows) == 14463


def test_should_give_each_row_exactly_one_outcome(items, file_rows):
    ids = [item.finess if isinstance(item, Structure) else item.record_id for item in items]
    assert sorted(ids) == sorted(row["nofinesset"] for row in file_rows)


def test_should_keep_ids_stable_across_two_reads(import_context, items):
    again = list(finess.read(import_context))
    assert [i.model_dump() for i in again] == [i.model_dump() for i in items]


def test_should_build_ids_from_the_finess_number(structures):
    assert all(s.id == f"finess-{s.finess}" for s in structures.values())


def test_should_map_cpef_to_contraception_services(structures):
    cpef = structures["finess-750008328"]
    assert cpef.name == "CPEF Ridder"
    assert cpef.kind == "Centre de santé sexuelle (CPEF)"
    assert cpef.categories() == [
        "contraception",
        "emergency_contraception",
        "sti_prevention_testing",
        "sexual_health_education",
        "affective_life",
    ]
    assert cpef.modalities is not None and cpef.modalities.free_for_minors and cpef.modalities.anonymous_for_minors
    assert (cpef.lat, cpef.lon) == (48.8311289, 2.3118198)


def test_should_map_every_cpef_row_of_category_228(structures, file_rows):
    cpef_ids = {f"finess-{r['nofinesset']}" for r in file_rows if r["categetab"] == "228"}
    assert len(cpef_ids) == 100
    assert all("contraception" in structures[i].categories() for i in cpef_ids)


def test_should_never_claim_abortion_from_finess(structures):
    assert not [s.id for s in structures.values() if "abortion" in s.categories()]


def test_should_give_pharmacies_only_emergency_contraception(structures):
    pharmacies = [s for s in structures.values() if s.kind == "Pharmacie"]
    assert len(pharmacies) == 3585
    assert {tuple(s.categories()) for s in pharmacies} == {("emergency_contraception",)}


def test_should_tell_that_emergency_contraception_is_free_for_everyone_in_pharmacies(structures):
    service = structures["finess-920018165"].services[0]
    assert service.description == finess.EMERGENCY_CONTRACEPTION_TEXT
    assert "mineures comprises" in service.description
    assert service.modalities is not None and service.modalities.free is True


def test_should_drop_the_company_legal_form_from_a_pharmacy_name(structures):
    assert structures["finess-950005132"].name == "Pharmacie du Triage"


def test_should_map_cmp_to_psychiatry_and_psychological_support(structures):
    cmp = structures["finess-750000069"]
    assert cmp.name == "CMP La Pomme"
    assert cmp.categories() == ["psychiatry", "psychological_support"]
    assert cmp.address == "4 rue Charles Lauth"
    assert (cmp.postcode, cmp.insee_code, cmp.department) == ("75018", "75118", "75")
    assert (cmp.lat, cmp.lon, cmp.location_precision) == (48.8990361, 2.3683143, "address")
    assert cmp.phones == ["01 40 37 50 99"]


def test_should_mark_caarud_free_and_anonymous(structures):
    caarud = structures["finess-750028078"]
    assert caarud.categories() == ["addiction_prevention_and_material"]
    assert caarud.modalities.free is True and caarud.modalities.anonymous is True
    assert caarud.publics.groups == ["addiction"]


def test_should_mark_csapa_free_and_anonymous(structures):
    csapa = structures["finess-750002297"]
    assert csapa.categories() == ["addiction_care"]
    assert csapa.modalities.free is True and csapa.modalities.anonymous is True


def test_should_send_chrs_admissions_through_the_siao(structures):
    chrs = structures["finess-750814188"]
    assert chrs.name == "CHRS Atoll 75"
    assert "long_term_accomodation" in chrs.categories()
    assert chrs.modalities.referral is True
    assert chrs.modalities.referral_details == "Orientation par le SIAO / 115"
    assert "115" in chrs.description


def test_should_map_emergency_shelters_to_emergency_accommodation_on_referral(structures):
    chu = structures["finess-750064685"]
    assert chu.categories() == ["emergency_accommodation"]
    assert chu.modalities.referral is True


def test_should_fall_back_to_the_commune_centre_when_a_row_has_no_coordinates(structures):
    chu = structures["finess-750064685"]  # CHU NEY: no geolocation line in FINESS
    assert chu.location_precision == "commune"
    assert (chu.lat, chu.lon) == (48.89256, 2.34806)  # Paris 18e
    assert chu.insee_code == "75118"
    assert "approximative" in chu.description


def test_should_map_2021_cegidd_of_category_636_to_sti_testing(structures):
    cegidd = structures["finess-930030291"]
    assert cegidd.name == "CeGIDD Conseil départemental 93"
    assert cegidd.categories() == ["sti_prevention_testing", "hiv_prevention"]
    assert cegidd.modalities.free is True and cegidd.modalities.anonymous is True


def test_should_map_venereal_disease_centres_of_category_266_to_sti_testing(structures):
    assert structures["finess-750802118"].categories() == ["sti_prevention_testing", "hiv_prevention"]


def test_should_leave_occupational_care_points_out_of_scope(rejects):
    ratp = rejects["750040172"]
    assert ratp.out_of_scope is True
    assert ratp.reason == "catégorie FINESS 636 hors périmètre (santé au travail)"


def test_should_leave_hospitals_out_of_scope_for_sae(rejects):
    pitie = rejects["750100125"]
    assert pitie.out_of_scope is True
    assert pitie.reason == "catégorie FINESS 101 hors périmètre"
    assert (pitie.file, pitie.line) == (finess.FILE_NAME, 2460)


def test_should_map_lhss_to_medical_accommodation_on_referral(structures):
    lhss = structures["finess-940008618"]
    assert lhss.categories() == ["medical_accommodation"]
    assert lhss.modalities.referral is True


def test_should_rebuild_a_readable_address_with_the_number_complement(structures):
    assert structures["finess-750013989"].address == "54 bis rue Boursault"


def test_should_resolve_a_paris_cedex_address_to_its_arrondissement(structures):
    centre = structures["finess-750830739"]  # 75593 PARIS CEDEX 12
    assert (centre.insee_code, centre.commune, centre.postcode) == ("75112", "Paris 12e", "75012")
    assert centre.name == "Centre d'examens de santé La Durance"


def test_should_keep_a_cedex_postcode_when_the_street_postcode_is_ambiguous(structures):
    centre = structures["finess-750828493"]  # 75784 PARIS CEDEX 16: the 16e has 75016 and 75116
    assert (centre.insee_code, centre.postcode) == ("75116", "75784")


def test_should_carry_finess_provenance_with_date_and_licence(structures):
    (provenance,) = structures["finess-750000069"].sources
    assert provenance.source == "finess-etablissements-idf"
    assert provenance.source_record_id == "750000069"
    assert provenance.licence == "Licence Ouverte 2.0"
    assert provenance.data_date == date(2021, 1, 8)


def test_should_leave_hours_and_verification_unknown(structures):
    assert all(s.hours is None and s.last_verified is None for s in structures.values())


def test_should_keep_every_structure_in_ile_de_france(structures):
    assert {s.department for s in structures.values()} <= {"75", "77", "78", "91", "92", "93", "94", "95"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CDS DE L INSTITUT PASTEUR", "Centre de santé de l'Institut Pasteur"),
        ("CPMI D AUBERVILLIERS", "Centre de PMI d'Aubervilliers"),
        ("C.H.R.S : LES VILLAGEOISES DE CERGY", "CHRS Les Villageoises de Cergy"),
        ("CHU ALTERNATIVE A L'HOTEL SOS FEMMES", "CHU Alternative à l'Hôtel SOS Femmes"),
        ("SERVICE SOCIAL DEPTAL POLYVALENT 13ÈME", "Service social départemental polyvalent 13e"),
    ],
)
def test_should_turn_finess_capitals_into_readable_french(raw, expected):
    assert finess.clean_name(raw) == expected
