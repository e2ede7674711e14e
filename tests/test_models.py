"""The data model: validation, inheritance of structure values by services, JSON Schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from directory_api.models import Modalities, Provenance, Publics, Service, Structure

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "schema" / "structure.schema.json"


def structure(**overrides) -> Structure:
    fields = dict(
        id="test-1", name="Lieu", lat=48.85, lon=2.35,
        services=[Service(id="test-1-a", name="Douche", categories=["shower"])],
        sources=[Provenance(source="test", source_record_id="1", licence="Licence Ouverte 2.0", data_date=date(2024, 1, 1))],
    )
    fields.update(overrides)
    return Structure(**fields)


def test_should_let_a_service_override_the_structure_values():
    service = Service(id="s", name="Douche", categories=["shower"], modalities=Modalities(free=False))
    place = structure(modalities=Modalities(free=True), services=[service, Service(id="t", name="WC", categories=["toilets"])])
    assert place.effective_modalities(place.services[0]).free is False
    assert place.effective_modalities(place.services[1]).free is True


def test_should_reject_an_unknown_category():
    with pytest.raises(ValidationError, match="catégorie inconnue"):
        Service(id="s", name="x", categories=["chocolate"])


def test_should_require_at_least_one_service_and_one_source():
    with pytest.raises(ValidationError):
        structure(services=[])
    with pytest.raises(ValidationError):
        structure(sources=[])


def test_should_reject_a_postcode_or_department_outside_the_format():
    with pytest.raises(ValidationError):
        structure(postcode="7501")
    with pytest.raises(ValidationError):
        structure(department="69")


def test_should_reject_ages_in_the_wrong_order():
    with pytest.raises(ValidationError, match="age_min"):
        Publics(age_min=30, age_max=18)


def test_should_leave_unknown_modalities_unknown():
    assert Modalities().free is None
    assert structure().hours is None
    assert structure().last_verified is None


def test_should_date_a_record_by_its_oldest_source():
    place = structure(sources=[
        Provenance(source="a", source_record_id="1", licence="x", data_date=date(2024, 1, 1)),
        Provenance(source="b", source_record_id="2", licence="x", data_date=date(2021, 1, 8)),
    ])
    assert place.data_date == date(2021, 1, 8)


def test_should_match_the_committed_json_schema():
    """data/schema/ is generated from the models: run `make schema` after changing them."""
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == Structure.model_json_schema()
