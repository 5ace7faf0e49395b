"""Importing a CSV of sessions: each row matched to the agenda, previewed, then saved.

A row names its session by the export's ``id`` column or, without one, by title, day and
start. A row that says what the agenda already says changes nothing, so importing the
app's own export, or the same file twice, is harmless. Changed rows go through the same
service as the session form, so calendars and signed-up delegates are told.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass, field

from amf.audit.services import record
from amf.events.models import AgendaSession, Event, SessionStatus
from amf.extensions import db
from amf.organiser import agenda as agenda_service
from amf.organiser.agenda import SessionData, apply_session_data, load_sessions
from amf.organiser.agenda_csv import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    Lookups,
    build_data,
    describe_changes,
    parse_keys,
    session_data,
)
from amf.organiser.spreadsheet import read_cell
from amf.timezones import to_local

MAX_ROWS = 2000


class RowAction(enum.StrEnum):
    """What importing a row does."""

    UNCHANGED = "unchanged"
    UPDATED = "updated"
    NEW = "new"


@dataclass
class ImportRow:
    """One line of the file: what it says, what it would do, and what is wrong with it."""

    line: int
    values: dict[str, str]
    data: SessionData | None = None
    errors: list[str] = field(default_factory=list)
    action: RowAction | None = None
    session: AgendaSession | None = None
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    """The whole file checked; nothing is written until every row is valid."""

    rows: list[ImportRow]
    problems: list[str] = field(default_factory=list)
    revision: int = 0  # the agenda's revision the preview was made against
    left_out: int = 0  # sessions of the agenda no row names; the import leaves them alone
    ignored: list[str] = field(default_factory=list)  # columns the import does not read

    @property
    def ok(self) -> bool:
        """Whether the file can be imported as it is."""
        return not self.problems and bool(self.rows) and all(not r.errors for r in self.rows)

    def count(self, action: RowAction) -> int:
        """How many rows do this."""
        return sum(1 for r in self.rows if r.action is action)

    @property
    def changes_anything(self) -> bool:
        """Whether importing would write anything."""
        return self.ok and any(r.action is not RowAction.UNCHANGED for r in self.rows)

    @property
    def summary(self) -> str:
        """'23 unchanged, 1 updated, 0 new'."""
        return ", ".join(f"{self.count(a)} {a.value}" for a in RowAction)


class ImportRefused(ValueError):
    """The file, or the agenda since the preview, does not allow the import."""


def decode_upload(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM)."""
    return raw.decode("utf-8-sig")


def preview_import(event: Event, text: str) -> ImportPreview:
    """Read every row, match it to the agenda, and check it against the event's data."""
    revision = event.agenda_revision
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return ImportPreview(
            [], [f"The first line must name the columns; missing: {', '.join(missing)}."]
        )
    reader.fieldnames = header
    present = [c for c in (*COLUMNS, *OPTIONAL_COLUMNS) if c in header]
    lookups = Lookups.of(event)
    sessions = load_sessions(event)
    by_id = {s.id: s for s in sessions}
    by_key: dict[tuple, list[AgendaSession]] = {}
    for s in sessions:
        by_key.setdefault(_natural_key(event, s), []).append(s)
    rows: list[ImportRow] = []
    claimed: dict[int, int] = {}
    for number, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            return ImportPreview(rows, [f"Import at most {MAX_ROWS} sessions at a time."])
        values = {c: read_cell(raw.get(c) or "").strip() for c in present}
        row = _check_row(event, number, values, lookups, by_id, by_key)
        if row.session is not None:
            if row.session.id in claimed:
                row.errors.append(f"The same session as line {claimed[row.session.id]}.")
            claimed.setdefault(row.session.id, number)
        rows.append(row)
    if not rows:
        return ImportPreview([], ["The file has no sessions."])
    known = {*COLUMNS, *OPTIONAL_COLUMNS}
    return ImportPreview(
        rows,
        revision=revision,
        left_out=len(set(by_id) - set(claimed)),
        ignored=[h for h in header if h and h not in known],
    )


def _natural_key(event: Event, session: AgendaSession) -> tuple:
    start = to_local(session.starts_at, event.timezone)
    return (session.title.strip().casefold(), start.date(), start.time())


def _check_row(event, number, values, lookups, by_id, by_key) -> ImportRow:
    row = ImportRow(number, values)
    parsed = parse_keys(values)
    row.errors = parsed.errors
    if parsed.session_id is not None:
        row.session = by_id.get(parsed.session_id)
        if row.session is None:
            row.errors.append(
                f"id: this event has no session {parsed.session_id}; "
                "leave the id empty to add a new session."
            )
    elif parsed.day and parsed.start:
        found = by_key.get((values["title"].casefold(), parsed.day, parsed.start), [])
        if len(found) > 1:
            row.errors.append(
                "Several sessions have this title, day and start; add the id column "
                "(export the agenda to get it) to say which."
            )
        row.session = found[0] if len(found) == 1 else None
    current = session_data(event, row.session) if row.session is not None else None
    row.data = build_data(event, values, parsed, lookups, current)
    _check_status(row, parsed.status)
    if row.errors:
        row.data = None
        return row
    if current is None:
        row.action = RowAction.NEW
        row.warnings = _same_title_elsewhere(event, values["title"], by_key)
    elif current == row.data:
        row.action = RowAction.UNCHANGED
    else:
        row.action = RowAction.UPDATED
        row.changes = describe_changes(current, row.data, lookups)
    return row


def _check_status(row: ImportRow, status: SessionStatus | None) -> None:
    if status is None:
        return
    current = row.session.status if row.session is not None else SessionStatus.SCHEDULED
    if status is current:
        return
    if row.session is None:
        row.errors.append("status: a new session cannot be imported as cancelled.")
    else:
        row.errors.append(
            f"status: the session is {current.value}; the import does not cancel or "
            "reinstate sessions (cancel one on its page, where its delegates are told)."
        )


def _same_title_elsewhere(event, title: str, by_key) -> list[str]:
    """A warning when a 'new' row looks like an existing session moved in a file without ids."""
    wanted = title.strip().casefold()
    others = [s for key, found in by_key.items() if key[0] == wanted for s in found]
    if not others:
        return []
    when = ", ".join(
        to_local(s.starts_at, event.timezone).strftime("%Y-%m-%d %H:%M") for s in others[:3]
    )
    return [
        f"The agenda already has “{title}” ({when}); this row adds another. To move that "
        "session instead, give its id (export the agenda to get it)."
    ]


@dataclass
class ImportResult:
    """What the import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notified: int = 0


def import_sessions(event: Event, text: str, actor, revision: int | None = None) -> ImportResult:
    """Create the new rows' sessions and update the changed ones; unchanged rows are left be.

    Refuses (ImportRefused, nothing written) a file with errors, or one previewed against
    an agenda that has changed since (``revision``). New sessions are created in one
    transaction; each changed session is saved as the session form saves it, with its
    revision, audit entry and delegates' notices, so a file stopped half-way by a lost
    connection can simply be imported again.
    """
    preview = preview_import(event, text)
    if not preview.ok:
        raise ImportRefused("The file has errors; nothing was imported.")
    if revision is not None and revision != preview.revision:
        raise ImportRefused(
            "The agenda changed since the preview; check the new preview and confirm again."
        )
    result = ImportResult(unchanged=preview.count(RowAction.UNCHANGED))
    new_rows = [r for r in preview.rows if r.action is RowAction.NEW]
    if new_rows:
        with db.session.no_autoflush:
            for row in new_rows:
                session = AgendaSession(status=SessionStatus.SCHEDULED)
                apply_session_data(session, event, row.data)
                session.event = event
                db.session.add(session)
        db.session.flush()
        record(actor, "sessions imported", "event", event.id, preview.summary + " from CSV")
        db.session.commit()
        result.created = len(new_rows)
    for row in preview.rows:
        if row.action is not RowAction.UPDATED:
            continue
        try:
            saved = agenda_service.update_session(row.session, row.data, actor)
        except agenda_service.AgendaError as exc:
            raise ImportRefused(
                f"Line {row.line} could not be saved ({exc}); {result.created} new and "
                f"{result.updated} changed session(s) were. Import the file again to finish."
            ) from exc
        result.updated += 1
        result.notified += saved.notified
    return result
