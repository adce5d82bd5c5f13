"""Malformed rota problems and leave files: a clear error naming the field, and nothing written."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from oncall.db.engine import Database
from oncall.db.models import Unavailability
from oncall.domain.people import import_leave
from rota_solver.fields import InvalidProblem
from rota_solver.model import Problem
from rota_solver.parse import parse_problem
from tests.reliability.inputs import browser_session, running_service
from tests.support import load_demo_data

EXAMPLE = Path("/work/shared/examples/rota-problem-small.json")
SPEC = Path("/work/shared/specs/rota-format.md")
FIXTURE = Path(__file__).parents[1] / "rota_solver" / "fixtures" / "rota-problem-small.json"
JERSEY = ZoneInfo("Europe/Jersey")
# "shifts[3].start: ..." / "people[0].fte: ..." / ": must be an object" (the whole document); an
# unknown key is named as it was written, whatever characters it holds.
NAMED = re.compile(r"^.*: \S", re.S)


def _documents() -> list[dict[str, Any]]:
    """The shared example problem (or the tests' copy of it) and every problem in the spec."""
    source = EXAMPLE if EXAMPLE.exists() else FIXTURE
    docs: list[dict[str, Any]] = [json.loads(source.read_text())]
    if SPEC.exists():
        for block in re.findall(r"```json\n(.*?)```", SPEC.read_text(), re.S):
            try:
                loaded = json.loads(block)
            except json.JSONDecodeError:  # an excerpt with "…" in it, not a whole problem
                continue
            if isinstance(loaded, dict) and "shifts" in loaded:
                docs.append(loaded)
    return docs


DOCUMENTS = _documents()
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "2027-02-30T17:00:00+00:00", "2027-02-01T17:00:00", "worker", "x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:6]):  # the first few of each list are enough
            found += _paths(value, (*here, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> object:
    doc = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            return draw(json_values)  # the whole document replaced
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        last = path[-1]
        if action == "replace":
            parent[last] = draw(json_values)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return doc


@settings(max_examples=300, deadline=None, database=None)
@given(mutated())
@example(float("nan"))
@example({**DOCUMENTS[0], "people": [{**DOCUMENTS[0]["people"][0], "fte": float("nan")}]})
@example({**DOCUMENTS[0], "shifts": [{**DOCUMENTS[0]["shifts"][0], "weight": float("inf")}]})
def test_a_mutated_problem_is_valid_or_an_invalid_problem_naming_the_field(doc: object) -> None:
    try:
        problem = parse_problem(doc)
    except InvalidProblem as exc:
        errors = exc.errors
    else:
        assert isinstance(problem, Problem)
        return
    assert errors
    for error in errors:
        assert NAMED.match(error), error


def test_the_unmutated_documents_are_valid() -> None:
    # The control: the mutation test would pass vacuously if every seed were already invalid.
    for doc in DOCUMENTS:
        assert isinstance(parse_problem(doc), Problem)


# Leave imports -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leave_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("leave-import") / "oncall.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    database = Database.connect(url)
    asyncio.run(load_demo_data(database))
    asyncio.run(database.dispose())
    return url


async def _import(url: str, data: bytes) -> tuple[bool, list[tuple[int, str, str]], int]:
    """Import and commit when the import says it is good; (ok, errors, leave rows afterwards)."""
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            result = await import_leave(
                session, data, zone=JERSEY, now=datetime(2027, 1, 5, tzinfo=UTC), by="fuzz"
            )
            if result.ok:
                await session.rollback()  # keep the database as it was for the next example
        async with database.sessions() as session:
            rows = int(await session.scalar(select(func.count()).select_from(Unavailability)) or 0)
    finally:
        await database.dispose()
    return result.ok, [(e.line, e.field, e.message) for e in result.errors], rows


GOOD = b"code,start,end,reason\nsw002,2027-02-01,2027-02-03,annual leave\n"
cells = st.one_of(
    st.sampled_from(["sw002", "SW004", "nobody", "", "2027-02-01", "31/12/9999", "9999-12-31"]),
    st.sampled_from(["0001-01-01", "29/02/2027", "2027-02-01T09:00", "sick", "leave", "x" * 300]),
    st.text(max_size=20),
)
csv_texts = st.lists(st.lists(cells, max_size=6), max_size=8).map(
    lambda rows: "\n".join(",".join(row) for row in rows)
)
headers = st.sampled_from(["code,start,end,reason", "person;from;to", "start,end", "", "a,b,c"])


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    header=headers,
    body=csv_texts,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "raw"]),
    raw=st.binary(max_size=300),
)
@example(header="", body="", encoding="utf-8", raw=b"")
@example(header="code,start,end", body="sw002,2027-02-01,31/12/9999", encoding="utf-8", raw=b"")
@example(header="code,start,end", body='sw002,"' + "x" * 140_000 + '"', encoding="utf-8", raw=b"")
@example(header="code,start,end", body="sw002,0001-01-01,2027-01-01", encoding="utf-8", raw=b"")
def test_a_bad_leave_file_names_the_row_and_field_and_writes_nothing(
    leave_db: str, header: str, body: str, encoding: str, raw: bytes
) -> None:
    text = f"{header}\n{body}" if header else body
    data = raw if encoding == "raw" else text.encode(encoding, "replace")
    before = asyncio.run(_import(leave_db, b""))[2]
    ok, errors, after = asyncio.run(_import(leave_db, data))
    assert after == before  # rejected files write nothing; good ones were rolled back above
    if not ok:
        assert errors
        for line, field, message in errors:
            assert line >= 0 and field and message


def test_a_huge_file_is_refused_before_it_is_read(leave_db: str) -> None:
    data = GOOD + b"sw002,2027-03-01,2027-03-02\n" * 40_000
    ok, errors, _ = asyncio.run(_import(leave_db, data))
    assert not ok and errors[0][:2] == (0, "file") and "1 MB" in errors[0][2]


def test_one_bad_row_among_good_ones_names_its_line_and_writes_nothing(leave_db: str) -> None:
    data = GOOD + b"nobody,2027-02-01,2027-02-02\nsw004,2027-02-05,2027-02-04\n"
    before = asyncio.run(_import(leave_db, b""))[2]
    ok, errors, after = asyncio.run(_import(leave_db, data))
    assert not ok and after == before
    assert {(line, field) for line, field, _ in errors} == {(3, "code"), (4, "end")}


def test_the_leave_import_page_refuses_a_bad_file_naming_the_row_and_writes_nothing(
    leave_db: str,
) -> None:
    before = asyncio.run(_import(leave_db, b""))[2]
    with running_service(leave_db) as running:
        http, csrf = browser_session(running.public_url, "coordinator")
        bad = GOOD + b"nobody,2027-02-01,2027-02-02\n"
        answer = http.post(
            f"{running.public_url}/staff/leave-import",
            data={"csrf_token": csrf},
            files={"file": ("leave.csv", bad, "text/csv")},
            timeout=30,
        )
        assert answer.status_code == 400
        assert "nobody has the code" in answer.text and "<td>3</td>" in answer.text
        assert asyncio.run(_import(leave_db, b""))[2] == before
        for data in (b"", b"\xff\xfe\x00\x00" * 10, b"code;start\n", b"x" * 1_000_001):
            answer = http.post(
                f"{running.public_url}/staff/leave-import",
                data={"csrf_token": csrf},
                files={"file": ("leave.csv", data, "text/csv")},
                timeout=30,
            )
            assert answer.status_code == 400, data[:20]
        http.close()
    assert asyncio.run(_import(leave_db, b""))[2] == before
