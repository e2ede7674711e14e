"""Export to the data·inclusion v1 schema, its validation against the committed JSON Schemas, what it
cannot carry, the way back (`read_data_inclusion`) and the API routes. Runs on the real directory."""

from __future__ import annotations

import json
from collections import Counter
from datetime import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from directory_api.api.app import create_app
from directory_api.exports.data_inclusion import (
    KIND_NETWORKS,
    NETWORK_KINDS,
    REFERENCE_DIR,
    SERVICE_SCHEMA,
    STRUCTURE_SCHEMA,
    Unexpressible,
    categories_from_thematiques,
    export,
    reversible_categories,
    to_di_publics,
    to_osm_opening_hours,
)
from directory_api.importer import read_structures
from directory_api.models import HolidayPolicy, OpeningHours, Publics, Structure, TimeSlot
from directory_api.settings import Settings
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.sources.data_inclusion import DataInclusionImport, read_data_inclusion
from directory_api.taxonomy import get_taxonomy

SHARED_REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "data-inclusion-vocabularies"


@pytest.fixture(scope="module")
def structures() -> list[Structure]:
    return list(read_structures(Settings().data_dir / "structures"))


@pytest.fixture(scope="module")
def exported(structures) -> tuple[list[dict], list[dict], list[Unexpressible]]:
    return export(structures)


@pytest.fixture(scope="module")
def by_id(structures) -> dict[str, Structure]:
    return {s.id: s for s in structures}


@pytest.fixture(scope="module")
def imported(structures, exported) -> DataInclusionImport:
    di_structures, di_services, _ = exported
    licences = {s.sources[0].source: s.sources[0].licence for s in structures}
    # Through JSON text, as a consumer reads the files.
    return read_data_inclusion(json.loads(json.dumps(di_structures)), json.loads(json.dumps(di_services)), licences=licences)


def validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def slot(start: str, end: str) -> TimeSlot:
    return TimeSlot(start=time.fromisoformat(start), end=time.fromisoformat(end))


# --- (a) the export validates against the v1 JSON Schemas ----------------------------------------


def test_should_validate_every_exported_structure_against_the_v1_schema(exported):
    structures, _, _ = exported
    check = validator(STRUCTURE_SCHEMA)
    errors = {record["id"]: [e.message for e in check.iter_errors(record)] for record in structures}
    assert {k: v for k, v in errors.items() if v} == {}
    assert len(structures) > 7000


def test_should_validate_every_exported_service_against_the_v1_schema(exported):
    _, services, _ = exported
    check = validator(SERVICE_SCHEMA)
    errors = {record["id"]: [e.message for e in check.iter_errors(record)] for record in services}
    assert {k: v for k, v in errors.items() if v} == {}
    assert len(services) > 9000


def test_should_have_a_validator_that_checks_formats_and_vocabularies(exported):
    """Control: the validation above would catch a bad link, an unknown thématique or a missing name."""
    _, services, _ = exported
    check = validator(SERVICE_SCHEMA)
    assert check.is_valid(services[0])
    for change in (
        {"lien_source": "pas un lien"},
        {"thematiques": ["sante--inconnue"]},
        {"date_maj": "hier"},
        {"courriel": "pas-un-courriel"},
        {"publics": []},
        {"nom": "AB"},
        {"description": None},
    ):
        assert not check.is_valid({**services[0], **change}), change


def test_should_reference_every_service_to_an_exported_structure(exported):
    structures, services, _ = exported
    ids = {s["id"] for s in structures}
    assert len(ids) == len(structures)
    assert {s["structure_id"] for s in services} == ids
    assert len({s["id"] for s in services}) == len(services)


def test_should_keep_the_committed_references_identical_to_the_shared_ones():
    if not SHARED_REFERENCE.is_dir():
        pytest.skip("../shared/reference absent : rien à comparer")
    pairs = {
        "structure.schema.json": "v1/structure.schema.json",
        "service.schema.json": "v1/service.schema.json",
        **{name: f"mappings-soliguide/{name}" for name in (
            "soliguide-categories-vers-thematiques-v1.csv",
            "soliguide-categories-vers-types-de-services-v1.csv",
            "soliguide-publics-vers-publics-v1.csv",
        )},
    }
    for committed, shared in pairs.items():
        assert (REFERENCE_DIR / committed).read_bytes() == (SHARED_REFERENCE / shared).read_bytes(), committed


# --- (b) what cannot be expressed is listed, with a reason, and counts add up ---------------------


def test_should_give_a_french_reason_for_every_unexpressible_entry(exported):
    _, _, unexpressible = exported
    assert unexpressible
    for entry in unexpressible:
        assert entry.id and entry.record in ("structure", "service")
        assert entry.reason.strip() and entry.reason_key.strip()


def test_should_account_for_every_structure_and_every_service(structures, exported):
    di_structures, di_services, unexpressible = exported
    left_out = Counter((e.record, e.id) for e in unexpressible if e.field is None)
    assert max(left_out.values()) == 1  # a record is left out once, with one reason
    structure_ids = {s.id for s in structures}
    service_ids = {sv.id for s in structures for sv in s.services}
    exported_structures = {s["id"] for s in di_structures}
    exported_services = {s["id"] for s in di_services}
    left_structures = {i for (record, i) in left_out if record == "structure"}
    left_services = {i for (record, i) in left_out if record == "service"}
    assert len(di_structures) + len(left_structures) == len(structures) == 12238  # 12,863 records, 606 merges (merge-report.json)
    assert exported_structures | left_structures == structure_ids and not exported_structures & left_structures
    assert len(di_services) + len(left_services) == len(service_ids)
    assert exported_services | left_services == service_ids and not exported_services & left_services
    # Values that v1 cannot carry are reported on exported records only.
    for entry in unexpressible:
        if entry.field is not None:
            assert entry.id in (exported_structures if entry.record == "structure" else exported_services)


def test_should_report_values_that_no_v1_field_carries(structures, exported):
    di_structures, _, unexpressible = exported
    exported_ids = {s["id"] for s in di_structures}
    fields = {(e.id, e.field) for e in unexpressible}
    for structure in structures:
        if structure.id not in exported_ids:
            continue
        if structure.finess:
            assert (structure.id, "finess") in fields
        if len(structure.phones) > 1:
            assert (structure.id, "phones") in fields
        if len(structure.sources) > 1:
            assert (structure.id, "sources") in fields
        if structure.hours and (structure.hours.valid_from or structure.hours.valid_until):
            assert (structure.id, "hours") in fields
        if structure.kind and NETWORK_KINDS.get(KIND_NETWORKS.get(structure.kind, "")) != structure.kind:
            assert (structure.id, "kind") in fields


def test_should_leave_out_services_without_thematique_as_data_inclusion_does(by_id, exported):
    _, _, unexpressible = exported
    reasons = {e.id: e.reason for e in unexpressible if e.record == "service" and e.field is None}
    toilets = by_id["bains-douches-BD1"].services[0]
    assert "aucune thématique data·inclusion" in reasons[toilets.id]
    structure_reasons = {e.id: e.reason for e in unexpressible if e.record == "structure" and e.field is None}
    assert structure_reasons["bains-douches-BD1"].startswith("aucun service exprimable en v1")


# --- mapping details --------------------------------------------------------------------------------


def test_should_write_weekly_hours_in_the_openstreetmap_syntax():
    office = OpeningHours(
        weekly={
            **{day: [slot("09:00", "12:30"), slot("14:00", "18:00")] for day in ("monday", "tuesday", "wednesday", "friday")},
            "saturday": [slot("20:00", "00:00")],
            "sunday": [slot("22:00", "06:00")],
        },
        public_holidays=HolidayPolicy.closed,
    )
    text = to_osm_opening_hours(office)
    assert text == "Mo-We,Fr 09:00-12:30,14:00-18:00; Sa 20:00-24:00; Su 22:00-06:00; PH off"
    assert parse_osm_opening_hours(text).model_dump(exclude={"notes"}) == office.model_dump(exclude={"notes"})
    assert to_osm_opening_hours(OpeningHours(always_open=True)) == "24/7"
    assert to_osm_opening_hours(OpeningHours()) == "off"  # no day open: closed, as in our model


def test_should_never_turn_an_exclusive_public_into_everyone():
    youth = Publics(welcome="exclusive", age_min=16, age_max=30, groups=["youth"])
    assert to_di_publics(youth) == (["jeunes"], "Accueil réservé à : jeunes ; de 16 à 30 ans.")
    adults = Publics(welcome="exclusive", age_min=16)
    assert to_di_publics(adults) == (None, "Accueil réservé à : à partir de 16 ans.")
    preferential = Publics(welcome="preferential", family=["pregnant", "family"], description="Futurs parents.")
    assert to_di_publics(preferential) == (
        ["tous-publics"], "Futurs parents. Accueil de tous, adapté en priorité à : femmes enceintes ou familles.",
    )


def test_should_read_thematiques_back_without_claiming_more_than_they_say():
    assert categories_from_thematiques(["sante--sante-mentale", "remobilisation--bien-etre-confiance-en-soi"]) == (
        ["psychological_support"], [],
    )
    # Shared by eight categories: only their common parent is said.
    assert categories_from_thematiques(["sante--sante-sexuelle"]) == (["health"], [])
    assert categories_from_thematiques(["equipement-et-alimentation--alimentation"]) == (["food"], [])
    # Child care and babysitting share it and have no common parent: nothing is claimed.
    assert categories_from_thematiques(["famille--garde-denfants"]) == ([], ["famille--garde-denfants"])
    assert {"pregnancy_care", "psychological_support", "long_term_accomodation"} <= reversible_categories()
    assert "emergency_contraception" not in reversible_categories()


# --- (c) round trip ---------------------------------------------------------------------------------


def test_should_account_for_every_exported_record_on_the_way_back(exported, imported, by_id):
    di_structures, di_services, _ = exported
    structures, rejects, _ = imported
    rejected = {(r.file, r.record_id): r for r in rejects}
    assert len(structures) + sum(f == "structures.json" for f, _ in rejected) == len(di_structures)
    assert sum(len(s.services) for s in structures) + sum(f == "services.json" for f, _ in rejected) == len(di_services)
    for (file, record_id), reject in rejected.items():
        assert not reject.out_of_scope
        if file == "structures.json":
            original = by_id[record_id]
            if reject.reason.startswith("position inconnue"):
                assert original.location_precision == "commune"  # the centre of a commune is not exported
            else:
                assert reject.reason.startswith("aucun service importable")
        else:
            assert reject.reason.startswith(("aucune thématique correspondant", "structure rejetée"))
    assert len(structures) > 7000


def test_should_give_back_the_same_places_on_the_fields_v1_carries(imported, by_id):
    for back in imported.structures:
        original = by_id[back.id]
        same = (
            "id", "name", "description", "address", "address_complement", "postcode", "insee_code", "commune",
            "lat", "lon", "location_precision", "email", "website", "siret",
        )
        assert back.model_dump(include=set(same)) == original.model_dump(include=set(same)), back.id
        # v1 has no département: it comes back from the INSEE code, else from the postcode (a CEDEX
        # postcode can name another département, as at Roissy airport).
        if original.insee_code:
            assert back.department == original.department
        assert back.phones == original.phones[:1]
        main, source = original.sources[0], back.sources[0]
        assert (source.source, source.licence, source.data_date, source.source_url) == (
            main.source, main.licence, original.data_date, main.source_url,
        )
        if original.kind in NETWORK_KINDS.values():
            assert back.kind == original.kind
        if original.hours and not (original.hours.valid_from or original.hours.valid_until or original.hours.closures):
            assert back.hours.model_dump(exclude={"notes"}) == original.hours.model_dump(exclude={"notes"})
        # Publics and modalities come back on each service (v1 structures have none).
        assert back.publics is None and back.modalities is None


def test_should_give_back_services_with_their_categories_when_reversible(imported, by_id):
    taxonomy = get_taxonomy()
    reversible = reversible_categories()
    exact = generalised = 0
    for back in imported.structures:
        original = by_id[back.id]
        services = {s.id: s for s in original.services}
        for service in back.services:
            before = services[service.id]
            assert service.name == before.name
            if set(before.categories) <= reversible:
                assert service.categories == before.categories
                exact += 1
            else:
                # Never a category that was not said: the original one or one of its parents.
                allowed = {c for cid in before.categories for c in (cid, *taxonomy.ancestors(cid))}
                assert set(service.categories) <= allowed, (service.id, service.categories)
                generalised += 1
            if before.description is not None and before.description != original.description:
                assert service.description == before.description
    assert exact > 3000 and generalised > 5000


def test_should_give_back_the_modalities_and_publics_v1_can_say(imported, by_id):
    for back in imported.structures:
        original = by_id[back.id]
        services = {s.id: s for s in original.services}
        for service in back.services:
            before = services[service.id]
            modalities = original.effective_modalities(before)
            free = modalities.free if modalities else None
            price = modalities.price_details if modalities else None
            referral = bool(modalities and modalities.referral)
            assert (service.modalities.free if service.modalities else None) == free
            assert (service.modalities.price_details if service.modalities else None) == price
            assert bool(service.modalities and service.modalities.referral) == referral
            if before.hours is not None:
                assert service.hours.model_dump(exclude={"notes"}) == before.hours.model_dump(exclude={"notes"})
            publics = original.effective_publics(before)
            if publics is None:
                assert service.publics is None
            elif publics.welcome == "exclusive":
                assert service.publics is None or service.publics.welcome == "exclusive"


# --- reading foreign data ---------------------------------------------------------------------------


def _foreign() -> tuple[list[dict], list[dict]]:
    structure = {
        "source": "dora", "id": "dora--42", "nom": "Centre social Le Tournesol", "date_maj": "2025-02-14",
        "latitude": 48.85, "longitude": 2.35, "code_insee": "75104", "code_postal": "75004",
        "telephone": "+33123456789", "reseaux_porteurs": ["ccas-cias", "communes"],
    }
    service = {
        "source": "dora", "structure_id": "dora--42", "id": "dora--s1", "nom": "Aide alimentaire",
        "description": "Colis alimentaires chaque semaine.", "date_maj": "2025-01-10",
        "thematiques": ["equipement-et-alimentation--alimentation"], "publics": ["femmes", "jeunes"],
        "frais": "gratuit", "horaires_accueil": "Mo-Fr 09:00-12:00; PH off", "zone_eligibilite": ["75056"],
    }
    return [structure], [service]


def test_should_read_a_foreign_record_without_claiming_more_than_it_says():
    structures, services = _foreign()
    result = read_data_inclusion(structures, services)
    (structure,) = result.structures
    assert (structure.department, structure.phones, structure.kind) == ("75", ["01 23 45 67 89"], "Centre communal d'action sociale (CCAS)")
    assert structure.sources[0].data_date.isoformat() == "2025-01-10"  # as old as its oldest part
    assert structure.sources[0].licence == "Licence Ouverte 2.0"
    (service,) = structure.services
    assert service.categories == ["food"]
    assert service.publics is None  # « femmes ou jeunes » has no equivalent in our « and » criteria
    assert service.modalities.free is True
    assert service.hours.public_holidays == "closed"
    fields = {(e.field, e.reason_key) for e in result.unexpressible}
    assert ("publics", "publics non exprimables avec nos critères (inconnus)") in fields
    assert ("zone_eligibilite", "zone d'éligibilité sans champ dans notre modèle") in fields
    assert ("reseaux_porteurs", "réseaux porteurs sans type de lieu correspondant") in fields


def test_should_reject_with_a_reason_what_cannot_become_a_place():
    structures, services = _foreign()
    outside = {**structures[0], "id": "dora--43", "code_insee": "69123", "code_postal": "69001"}
    nowhere = {**structures[0], "id": "dora--44", "latitude": None, "longitude": None}
    orphan = {**services[0], "id": "dora--s2", "structure_id": "dora--999"}
    childcare = {**services[0], "id": "dora--s3", "structure_id": "dora--44", "thematiques": ["famille--garde-denfants"]}
    result = read_data_inclusion(structures + [outside, nowhere], services + [orphan, childcare])
    assert [s.id for s in result.structures] == ["dora--42"]
    reasons = {(r.file, r.line): (r.reason, r.out_of_scope) for r in result.rejects}
    assert reasons == {
        ("services.json", 2): ("structure rattachée inconnue : 'dora--999'", False),
        ("structures.json", 2): ("hors Île-de-France (département 69)", True),
        ("structures.json", 3): ("position inconnue : ni latitude ni longitude", False),
        ("services.json", 3): ("structure rejetée : position inconnue : ni latitude ni longitude", False),
    }


# --- (d) the API routes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    # The export reads data/structures/, not the search index: an empty index is enough here.
    settings = Settings(index_path=tmp_path_factory.mktemp("exports") / "directory.sqlite")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/exports/data-inclusion/structures.json", "nom"),
        ("/exports/data-inclusion/services.json", "structure_id"),
        ("/exports/data-inclusion/unexpressible.json", "reason"),
    ],
)
def test_should_serve_the_export_as_json_lists(client, exported, path, key):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, list) and body and all(key in item for item in body)
    structures, services, unexpressible = exported
    expected = {"structures.json": structures, "services.json": services, "unexpressible.json": unexpressible}
    assert len(body) == len(expected[path.rsplit("/", 1)[1]])


def test_should_compute_the_export_once_per_process(client):
    first = client.app.state.data_inclusion_export.files()
    client.get("/exports/data-inclusion/structures.json")
    assert client.app.state.data_inclusion_export.files() is first
