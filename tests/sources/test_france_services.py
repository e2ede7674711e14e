from __future__ import annotations

from datetime import date

import pytest

from directory_api.sources import france_services
from tests.sources._source_checks import SourceRun, data_rows, run, slots


@pytest.fixture(scope="module")
def result(import_context) -> SourceRun:
    return run(france_services, import_context)


def test_should_account_for_every_row_of_the_file(result, datasets_dir):
    rows = data_rows(datasets_dir / "france-services" / france_services.FILE)
    assert rows == 184
    assert len(result.structures) + len(result.rejects) == rows
    assert len(result.structures) == 184
    assert result.rejects == []


def test_should_give_stable_unique_ids_across_two_reads(result, import_context):
    again = run(france_services, import_context)
    assert [s.id for s in result.structures] == [s.id for s in again.structures]
    assert len({s.id for s in result.structures}) == len(result.structures)


def test_should_map_a_paris_france_services_with_its_contacts_and_place(result):
    structure = result.by_id("france-services-435")
    assert structure.name == "France services Pimms Médiation Paris 12ème - Sud-Est"
    assert structure.kind == "France services"
    assert structure.address == "181 Avenue Daumesnil"
    assert (structure.postcode, structure.insee_code, structure.commune, structure.department) == (
        "75012", "75112", "Paris 12e", "75",
    )
    assert (structure.lat, structure.lon, structure.location_precision) == (48.84049, 2.392507, "address")
    assert structure.phones == ["01 44 67 27 00"]
    assert structure.email == "paris-sud-est@pimms.org"


def test_should_offer_free_administrative_and_digital_help(result):
    structure = result.by_id("france-services-435")
    assert structure.categories() == ["administrative_assistance", "digital_tools_training"]
    assert structure.modalities is not None
    assert structure.modalities.free is True


def test_should_parse_france_services_hours_with_two_ranges_a_day(result):
    structure = result.by_id("france-services-435")
    assert slots(structure, "monday") == [("10:00", "13:00"), ("14:00", "18:00")]
    assert slots(structure, "friday") == [("10:00", "13:00")]
    assert structure.hours is not None
    assert "saturday" not in structure.hours.weekly  # empty cell: closed
    assert "sunday" not in structure.hours.weekly  # no Sunday column
    assert structure.hours.public_holidays == "unknown"
    assert structure.hours.notes is not None and "lundi : 10:00 - 13:00 / 14:00 - 18:00" in structure.hours.notes


def test_should_parse_three_ranges_and_merge_ranges_entered_twice(result):
    drancy = result.by_id("france-services-1980")  # « 09:00 - 17:30 / 09:00 - 12:00 / 13:30 - 17:30 »
    assert slots(drancy, "monday") == [("09:00", "17:30")]
    sceaux = result.by_id("france-services-2541")  # « 09:30 - 12:30 / 09:30 - 12:30 »
    assert slots(sceaux, "monday") == [("09:30", "12:30")]


def test_should_leave_hours_unknown_when_every_day_is_empty(result):
    assert result.by_id("france-services-942").hours is None  # multisites Pimms Paris: no hours at all
    assert sum(s.hours is None for s in result.structures) == 7


def test_should_map_prise_rdv_to_appointment(result):
    assert result.by_id("france-services-435").modalities.appointment is False  # « Non »
    marne = result.by_id("france-services-1598")  # « Oui », « Prise de rendez-vous obligatoire au … »
    assert marne.modalities.appointment is True
    assert "rendez-vous obligatoire" in marne.modalities.appointment_details


def test_should_say_an_itinerant_bus_address_is_its_home_base(result):
    bus = result.by_id("france-services-455")
    assert bus.kind == "France services itinérant (bus)"
    assert "point de rattachement" in bus.description


def test_should_list_computers_only_where_the_source_mentions_them(result):
    with_computers = [s.id for s in result.structures if "computers_at_your_disposal" in s.categories()]
    assert with_computers == ["france-services-2280"]  # « PC libre service: toute la semaine »


def test_should_keep_the_source_comment_and_the_data_date(result):
    dourdan = result.by_id("france-services-2849")
    assert "uniquement le 1er samedi de chaque mois" in dourdan.description
    provenance = dourdan.sources[0]
    assert (provenance.source, provenance.source_record_id) == ("france-services", "2849")
    assert provenance.licence == "Licence Ouverte 2.0"
    assert provenance.data_date == date(2024, 8, 1)
