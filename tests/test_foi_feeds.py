"""Open data: Atom, JSON and CSV for the log's result set, and JSON for one response."""

import csv
import io
import json
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import make_app
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def client(tmp_path):
    # Absolute links come from SITE_URL, not from the host the test client asks for.
    app = make_app(tmp_path, SITE_URL="https://foi.example.org")
    load_shipped(app)
    return app.test_client()


def test_atom_feed_is_valid_newest_first(client):
    response = client.get("/foi.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://foi.example.org/foi.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 10
    published = [entry.findtext(f"{ATOM}published") for entry in entries]
    assert published == sorted(published, reverse=True)
    for entry in entries:
        for required in ("id", "title", "updated", "summary"):
            assert entry.findtext(f"{ATOM}{required}"), required
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("https://foi.example.org/foi/")
    shipped = entries[-1]
    assert shipped.findtext(f"{ATOM}title") == f"The decision to buy and use the CONNECT IT system ({SHIPPED_REFERENCE})"
    assert shipped.findtext(f"{ATOM}updated") == "2023-08-14T00:00:00Z"
    assert shipped.find(f"{ATOM}category").get("label") == "Disclosed in full"
    assert feed.findtext(f"{ATOM}updated") == "2025-02-14T00:00:00Z"


def test_atom_takes_the_same_filters_as_the_log(client):
    feed = ET.fromstring(client.get("/foi.atom?topic=dogs-and-horses&sort=oldest").data)
    ids = [entry.findtext(f"{ATOM}id") for entry in feed.findall(f"{ATOM}entry")]
    assert ids == ["https://foi.example.org/foi/FOI-NMC-25-000981", "https://foi.example.org/foi/NMC-2024-0117"]  # always newest first
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == "https://foi.example.org/foi?topic=dogs-and-horses&sort=oldest"


def test_log_json_is_the_same_result_set(client):
    response = client.get("/foi.json?q=hovercraft")
    assert response.mimetype == "application/json"
    body = json.loads(response.data)
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    result = body["results"][0]
    assert result["reference"] == "NMC-2024-0342"
    assert result["outcome"] == {"id": "disclosed-in-full", "label": "Disclosed in full"}
    assert result["url"] == "https://foi.example.org/foi/NMC-2024-0342"
    assert result["updated"] == "2024-06-03"
    assert body["links"]["html"] == "https://foi.example.org/foi?q=hovercraft"
    everything = json.loads(client.get("/foi.json").data)
    assert [r["reference"] for r in everything["results"]][0] == "FOI-NMC-25-000981"
    assert everything["total"] == 10 and everything["links"]["next"] is None


def test_one_response_as_json(client):
    body = json.loads(client.get(f"/foi/{SHIPPED_REFERENCE}.json").data)
    assert body["reference"] == SHIPPED_REFERENCE
    assert [q["number"] for q in body["questions"]] == [1, 2, 3]
    assert body["decision"].startswith("I have today decided to disclose the located information to you in full.")
    assert [a["questions"] for a in body["answers"]] == [[1], [2, 3]]
    assert "MOPAC - Met Integrated Policing System(MiPS) Full Business Case" in body["answers"][0]["text"]
    attachment = json.loads(client.get("/foi/NMC-2024-0117.json").data)["attachments"][0]
    assert attachment["url"] == "https://foi.example.org/foi/NMC-2024-0117/NMC-2024-0117-dog-costs.csv"
    assert attachment["size"] == 134 and attachment["kind"] == "CSV"


def test_csv_is_the_whole_result_set(client):
    response = client.get("/foi.csv?exemption=40(2)")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="foi-responses.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["reference"] for row in rows] == ["FOI-NMC-25-000981", "NMC-2024-0117"]
    assert rows[1]["exemptions"] == "40(2) Personal information"
    assert rows[1]["outcome"] == "Disclosed in part"
    assert len(list(csv.DictReader(io.StringIO(client.get("/foi.csv").get_data(as_text=True).lstrip("\ufeff"))))) == 10


def test_csv_cells_never_start_a_formula():
    from webapp.foi.feeds import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert spreadsheet_safe("+1") == "'+1" and spreadsheet_safe("@SUM") == "'@SUM" and spreadsheet_safe("plain") == "plain"


@pytest.mark.parametrize("path", ["/foi.atom?outcome=nope",
                                  "/foi.json?published-from-day=99&published-from-month=1&published-from-year=2020",
                                  "/foi.csv?sort=x"])
def test_bad_feed_parameters_are_a_400_not_a_500(client, path):
    assert client.get(path).status_code == 400
