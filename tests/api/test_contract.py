"""The API contract: paths, shapes, French errors, no 500 on user input."""

from __future__ import annotations

import csv
import io

import pytest


def test_should_report_health_with_backend_and_count(client, settings):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["engine"] == "up"
    assert body["backend"] == settings.search_backend
    assert body["structures"] > 10_000


def test_should_list_the_category_tree_with_labels(client):
    roots = client.get("/categories").json()
    assert len(roots) == 11
    health = next(r for r in roots if r["id"] == "health")
    sexual = next(c for c in health["children"] if c["id"] == "sexual_health")
    assert any(c["id"] == "abortion" and c["label"] == "Avortement (IVG)" for c in sexual["children"])


@pytest.mark.parametrize(
    ("text", "category"),
    [("pilule du lendemain", "emergency_contraception"), ("douch", "shower"), ("véto pour mon chien", "vet_care")],
)
def test_should_match_the_needs_named_in_a_text(client, text, category):
    body = client.get("/categories/match", params={"q": text}).json()
    assert category in [c["id"] for c in body["categories"]]
    assert all(c["label"] for c in body["categories"])


def test_should_match_no_need_in_a_text_without_one(client):
    assert client.get("/categories/match", params={"q": "bonjour"}).json()["categories"] == []
    assert client.get("/categories/match", params={"q": ""}).status_code == 422


def test_should_return_items_with_the_documented_fields(client):
    body = client.get("/structures", params={"category": "shower", "place": "Paris 10e"}).json()
    assert set(body) == {"total", "unconfirmed_total", "items", "facets", "query", "remote", "remote_first"}
    item = body["items"][0]
    for field in ("id", "name", "categories", "address", "postcode", "commune", "lat", "lon", "distance_m", "phones", "conditions", "unconfirmed", "opening", "sources"):
        assert field in item
    assert set(item["opening"]) >= {"status", "next_change"}
    assert {"source", "source_record_id", "licence", "data_date"} <= set(item["sources"][0])


def test_should_return_a_structure_by_id_with_services_and_provenance(client):
    first = client.get("/structures", params={"category": "shower", "place": "Paris 10e"}).json()["items"][0]
    detail = client.get(f"/structures/{first['id']}").json()
    assert detail["id"] == first["id"]
    assert detail["services"][0]["categories"]
    assert detail["sources"]


def test_should_answer_404_in_french_for_an_unknown_id(client):
    response = client.get("/structures/nope-123")
    assert response.status_code == 404
    assert "Aucun lieu" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"radius_km": "-3", "lat": 48.8, "lon": 2.3}, "radius_km"),
        ({"radius_km": "loin"}, "radius_km"),
        ({"category": "chocolat"}, "category"),
        ({"sort": "alphabet"}, "sort"),
        ({"lat": 48.8}, "requête"),
        ({"page": 0}, "page"),
        ({"size": 1000}, "size"),
        ({"open_at": "demain"}, "open_at"),
        ({"gender": "other"}, "gender"),
        ({"place": "Lyon"}, "place"),
        ({"age": -1}, "age"),
    ],
)
def test_should_answer_422_naming_the_field_in_french(client, params, field):
    response = client.get("/structures", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("Paramètres invalides")
    assert any(e["field"] == field for e in body["errors"]), body


def test_should_list_allowed_values_for_a_closed_list(client):
    body = client.get("/structures", params={"sort": "alphabet"}).json()
    error = next(e for e in body["errors"] if e["field"] == "sort")
    assert set(error["allowed"]) == {"distance", "relevance"}
    body = client.get("/structures", params={"category": "chocolat"}).json()
    assert "abortion" in body["errors"][0]["allowed"]


def test_should_export_the_same_search_as_csv(client):
    params = {"category": "shower", "place": "Paris 10e"}
    json_total = client.get("/structures", params=params).json()["total"]
    response = client.get("/structures.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # BOM: Excel reads the accents
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:3] == ["Nom", "Type", "Besoins"] and {"Conditions", "Horaires", "Fiche"} <= set(header)
    assert len(rows) - 1 == json_total
    first = dict(zip(header, rows[1], strict=True))
    assert first["Besoins"].startswith("Douche") or "Douche" in first["Besoins"]
    assert first["Fiche"].endswith(f"/lieux/{first['Identifiant']}")
    assert "," in first["Latitude"] and first["Horaires"]


def test_should_write_csv_cells_that_a_spreadsheet_cannot_run(client):
    from directory_api.api.csv_export import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("- Accueil") == "'- Accueil"
    assert safe_cell("Bains-douches") == "Bains-douches"


def test_should_export_the_same_search_as_geojson(client):
    params = {"category": "shower", "place": "Paris 10e"}
    json_total = client.get("/structures", params=params).json()["total"]
    body = client.get("/structures.geojson", params=params).json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == json_total
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert 48 < lat < 49.5 and 1.4 < lon < 3.6


def test_should_resolve_places_and_explain_an_empty_result(client):
    body = client.get("/places", params={"q": "monteuil"}).json()
    assert body["items"][0]["insee_code"] == "93048"
    body = client.get("/places", params={"q": "Marseille"}).json()
    assert body["items"] == []
    assert "Île-de-France" in body["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 200},
        {"q": "🙂🙂🙂"},
        {"q": "\"' OR 1=1 --"},
        {"q": "AND OR NOT ( ) * ^ NEAR"},
        {"q": "<script>alert(1)</script>"},
        {"place": "%%%"},
        {"lat": 0, "lon": 0},
        {"lat": 48.85, "lon": 2.35, "radius_km": 100},
        {"page": 1000},
        {"open_at": "2026-03-29T02:30:00"},
    ],
)
def test_should_never_fail_with_500_on_odd_input(client, params):
    response = client.get("/structures", params=params)
    assert response.status_code in (200, 422), response.text


def test_should_describe_the_api_in_french(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/structures"]["get"]["parameters"]}
    assert set(params) >= {"q", "category", "lat", "lon", "place", "radius_km", "open_now", "open_at", "free", "anonymous", "age", "gender", "pmr", "language", "sort", "page", "size"}
    assert "Une catégorie parente" in params["category"]["description"]


def test_should_state_key_conditions_only_when_the_source_does(client):
    shelters = client.get("/structures", params={"category": "emergency_accommodation", "size": 50}).json()["items"]
    assert any("Orientation par le SIAO / 115" in item["conditions"] for item in shelters)
    fountains = client.get("/structures", params={"category": "fountain", "size": 20}).json()["items"]
    assert all("Sur rendez-vous" not in item["conditions"] for item in fountains)


def test_should_say_who_refers_and_who_is_welcome_as_the_record_does(client):
    # Psychiatric day centres are entered through the sector team, never through the 115.
    day_care = client.get("/structures", params={"q": "hopital de jour psychiatrie", "place": "Créteil", "size": 50}).json()["items"]
    referred = [c for item in day_care for c in item["conditions"] if "orientation" in c.lower() or "indication" in c.lower()]
    assert referred and not any("115" in c or "SIAO" in c for c in referred)
    # The Émeraude restaurants are for retired or disabled Parisians: a hungry 45-year-old must read it.
    meals = client.get("/structures", params={"q": "restaurant emeraude", "size": 50}).json()["items"]
    emeraude = [item for item in meals if item["name"].startswith("Restaurant Émeraude")]
    assert emeraude and all(any(c.startswith("Réservé aux personnes âgées") for c in item["conditions"]) for item in emeraude)


def test_should_confirm_free_and_secret_care_for_a_minor_as_the_law_does(client):
    # A 16-year-old asking for free sexual-health care near Créteil: the centres de santé sexuelle are
    # free and secret for minors by law, so they are confirmed, not « gratuité non précisée ».
    around = {"category": "sexual_health", "place": "Créteil", "free": "true", "size": 50}
    minor = client.get("/structures", params={**around, "age": 16}).json()
    centres = [item for item in minor["items"] if item["name"].startswith("CPEF")]
    assert centres and all(not item["unconfirmed"] for item in centres)
    assert all("Gratuit pour les mineur·es" in item["conditions"] for item in centres)
    # Without an age, the same centres stay listed, honestly marked as not confirmed for everyone.
    anyone = client.get("/structures", params=around).json()
    assert anyone["unconfirmed_total"] > minor["unconfirmed_total"]
    # IVG is anonymous for minors wherever it is done (ivg.gouv.fr).
    ivg = client.get("/structures", params={"q": "ivg", "place": "Créteil", "anonymous": "true", "age": 16, "strict": "true"}).json()
    assert ivg["total"] > 0


def test_should_expose_the_quality_of_every_record(client):
    item = client.get("/structures", params={"category": "shower", "place": "Paris 10e"}).json()["items"][0]
    assert set(item["quality"]) == {"score", "completeness", "freshness", "missing"}
    detail = client.get(f"/structures/{item['id']}").json()
    assert detail["quality"]["score"] == item["quality"]["score"]
