"""Golden queries on the real, committed dataset: what a person asks, what must come back."""

from __future__ import annotations


def search(client, **params):
    response = client.get("/structures", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_should_find_a_bains_douches_within_3_km_of_paris_10e_for_douche(client):
    body = search(client, q="douche", place="Paris 10e", sort="distance")
    first = body["items"][0]
    assert "shower" in first["categories"]
    assert first["distance_m"] <= 3000
    assert any(p["source"] == "paris-bains-douches" for item in body["items"][:5] for p in item["sources"])
    assert body["query"]["text_categories"] == ["shower"]
    assert body["query"]["place"]["kind"] in ("arrondissement", "postcode")


def test_should_find_a_pharmacy_within_1_km_of_montreuil_for_emergency_contraception(client):
    body = search(client, category="emergency_contraception", place="Montreuil")
    first = body["items"][0]
    assert first["kind"] == "Pharmacie"
    assert first["distance_m"] <= 1000
    assert first["commune"] and "montreuil" in first["commune"].lower()


def test_should_find_an_sae_2023_ivg_provider_near_creteil_for_avortement(client):
    body = search(client, q="avortement", place="Créteil")
    assert body["total"] > 0
    assert "abortion" in body["query"]["text_categories"]
    first = body["items"][0]
    assert "abortion" in first["categories"]
    assert any(p["source"] == "sae-2023" for p in first["sources"])
    assert first["distance_m"] <= 5000


def test_should_understand_pilule_du_lendemain_with_a_typo(client):
    body = search(client, q="pillule du lendemin", place="Paris 18e")
    assert "emergency_contraception" in body["query"]["text_categories"]
    assert "emergency_contraception" in body["items"][0]["categories"]


def test_should_find_ivg_written_with_an_elision(client):
    body = search(client, q="l'IVG", place="Paris 10e")
    assert "abortion" in body["query"]["text_categories"]
    assert body["total"] > 0


def test_should_keep_pharmacies_out_of_a_sexual_health_search(client):
    body = search(client, category="sexual_health", place="Paris 20e", size=50)
    assert body["total"] > 0
    assert all(item["kind"] != "Pharmacie" for item in body["items"])


def test_should_find_parent_category_descendants(client):
    body = search(client, category="hygiene_and_wellness", place="Paris 1er", size=100)
    found = {c for item in body["items"] for c in item["categories"]}
    assert {"toilets", "fountain"} & found or {"toilets", "shower"} & found
    assert "hygiene_and_wellness" in body["query"]["expanded_categories"]
    assert "shower" in body["query"]["expanded_categories"]


def test_should_return_only_free_places_when_asked(client):
    body = search(client, category="toilets", place="Paris 11e", free=True, size=50)
    assert body["total"] > 0
    for item in body["items"]:
        detail = client.get(f"/structures/{item['id']}").json()
        modalities = [detail.get("modalities")] + [s.get("modalities") for s in detail["services"]]
        assert any(m and m.get("free") is True for m in modalities)


def test_should_flag_old_data_as_stale(client):
    body = search(client, category="emergency_contraception", place="Montreuil")
    freshness = body["items"][0]["freshness"]
    assert freshness["data_date"] == "2021-01-08"
    assert freshness["stale"] is True
    assert "appelez" in freshness["warning"]
    assert freshness["last_verified"] is None


def test_should_never_say_open_for_unknown_hours(client):
    body = search(client, category="emergency_contraception", place="Montreuil", size=50)
    assert {item["opening"]["status"] for item in body["items"]} == {"unknown"}


def test_should_only_return_open_places_with_open_now(client):
    body = search(client, category="toilets", place="Paris 4e", open_now=True, size=50)
    assert all(item["opening"]["status"] == "open" for item in body["items"])


def test_should_echo_the_resolved_place_and_radius(client):
    body = search(client, category="shower", place="creteil")
    place = body["query"]["place"]
    assert place["insee_code"] == "94028"
    assert body["query"]["radius_km"] == 10.0


def test_should_filter_by_department_when_the_place_is_a_department(client):
    body = search(client, category="emergency_accommodation", place="93", size=100)
    assert body["total"] > 0
    assert {item["department"] for item in body["items"]} == {"93"}


def test_should_find_a_place_by_name_even_when_a_word_names_a_need(client):
    body = search(client, q="hôpital Bicêtre")
    assert "find_healthcare" in body["query"]["text_categories"]
    assert "Bicêtre" in body["items"][0]["name"]


def test_should_find_france_services_by_the_name_of_their_network(client):
    body = search(client, q="pimms", size=5)
    assert all("Pimms" in item["name"] for item in body["items"])


def test_should_not_match_names_with_typo_variants_of_a_need(client):
    body = search(client, q="douche", place="Paris 17e", size=50)
    assert all("shower" in item["categories"] for item in body["items"])
