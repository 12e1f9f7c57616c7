"""Manifest screening: a bus, train or flight list (CSV, XLSX or MRZ lines) screened in one go.

Each row becomes a :class:`~shekara.screening.service.PersonInput`; rows are screened with the
same two stages and policy as single queries, watchlist alerts included; the whole manifest
writes one audit entry (file name, row count, every returned id and its owner). The result is
JSON or a CSV with one line per row (best hit).
"""

from __future__ import annotations

import csv
import gc
import io
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.db.engine import backend_for
from shekara.errors import AppError, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require
from shekara.screening import index, service, workers
from shekara.screening import watchlist as wl
from shekara.screening.schemas import Hit, ManifestOut, ManifestRow
from shekara.screening.scoring import ScoringConfig

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
Progress = Callable[[int, int], None]

#: header aliases (lower case) -> field
COLUMNS = {
    "name": "name", "full_name": "name", "fullname": "name", "fio": "name", "фио": "name",
    "passenger": "name", "имя и фамилия": "name",
    "surname": "surname", "last_name": "surname", "lastname": "surname", "family_name": "surname",
    "фамилия": "surname", "тегі": "surname",
    "given_names": "given", "given_name": "given", "first_name": "given", "firstname": "given",
    "имя": "given", "аты": "given",
    "patronymic": "patronymic", "middle_name": "patronymic", "отчество": "patronymic",
    "birth_date": "birth_date", "dob": "birth_date", "date_of_birth": "birth_date",
    "дата рождения": "birth_date", "дата_рождения": "birth_date", "туған күні": "birth_date",
    "nationality": "nationality", "citizenship": "nationality", "гражданство": "nationality",
    "азаматтығы": "nationality",
    "document": "document", "document_number": "document", "passport": "document",
    "passport_number": "document", "номер документа": "document", "паспорт": "document",
    "mrz": "mrz",
}  # fmt: skip
_MRZ_LINE = re.compile(r"^[A-Z0-9<]{30,44}$")


def _rows_from_table(rows: Iterator[Sequence[Any]]) -> Iterator[dict[str, str]]:
    header: list[str | None] | None = None
    for raw in rows:
        cells = ["" if c is None else str(c).strip() for c in raw]
        if not any(cells):
            continue
        if header is None:
            mapped = [COLUMNS.get(c.lower().strip()) for c in cells]
            if any(mapped):
                header = mapped
                continue
            header = ["name", "birth_date", "nationality", "document"]
        yield {f: cells[i] for i, f in enumerate(header) if f and i < len(cells) and cells[i]}


def _mrz_groups(lines: list[str]) -> Iterator[dict[str, str]]:
    i = 0
    while i < len(lines):
        n = len(lines[i])
        size = 3 if n == 30 else 2
        yield {"mrz": "\n".join(lines[i : i + size])}
        i += size


def parse_manifest(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a manifest as field -> text (name, surname, given, patronymic, birth_date,
    nationality, document, mrz)."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed([{"field": "file", "message": "larger than 20 MB"}])
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises several unrelated types
            raise ValidationFailed([{"field": "file", "message": f"not an XLSX file: {e}"}]) from e
        ws = wb.worksheets[0]
        rows = list(_rows_from_table(iter(ws.iter_rows(values_only=True))))
        wb.close()
    else:
        text = data.decode("utf-8-sig", errors="replace")
        lines = [re.sub(r"\s+", "", ln).upper() for ln in text.splitlines() if ln.strip()]
        if lines and all(_MRZ_LINE.match(ln) for ln in lines):
            rows = list(_mrz_groups(lines))
        else:
            sample = text[:4096]
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            rows = list(_rows_from_table(iter(csv.reader(io.StringIO(text), dialect))))
    if len(rows) > MAX_ROWS:
        raise ValidationFailed([{"field": "file", "message": f"more than {MAX_ROWS} rows"}])
    return rows


def row_input(row: dict[str, str]) -> service.PersonInput:
    name = row.get("name") or " ".join(
        row[k] for k in ("surname", "given", "patronymic") if row.get(k)
    )
    return service.PersonInput.build(
        [name] if name else [],
        row.get("birth_date"),
        [row["nationality"]] if row.get("nationality") else [],
        [row["document"]] if row.get("document") else [],
        row.get("mrz"),
    )


def _summary(i: int, q: service.PersonInput, hits: list[Hit]) -> ManifestRow:
    label = "; ".join(q.names) or "; ".join(q.documents)
    out = ManifestRow(row=i, query=label, hits=len(hits))
    if hits:
        best = hits[0]
        alerts = [a for a in best.watchlist if not a.suppressed]
        out.best_score = best.score
        out.match = bool(best.match) or best.notice
        out.notice = best.notice
        out.record_type = best.type
        out.record_id = best.id
        out.label = best.label
        out.owner_agency = best.owner_agency.code
        out.action = (
            ", ".join(a.action.value if a.action else "inform_owner" for a in alerts) or None
        )
        out.reasons = " | ".join(r.text for r in best.reasons)
    return out


#: rows screened together (keys read, candidates loaded and scored in one go)
CHUNK_ROWS = 500
#: from this many rows on, chunks are shared with worker processes (one per extra core) that
#: read the database on a connection of their own
PARALLEL_ROWS = 1_000


def _rank(hits: list[Hit]) -> None:
    hits.sort(key=lambda h: (not (h.match or h.notice), -(h.score or 0.0)))


def _screen_chunk(
    session: Session,
    viewer: Viewer,
    queries: list[service.PersonInput],
    cfg: ScoringConfig,
    lang: str,
) -> list[list[Hit]]:
    """The read-only part of screening rows: the hits of each row, persons (database work
    batched, :func:`~shekara.screening.service.person_hits_many`) and documents."""
    answers = service.person_hits_many(session, viewer, queries, lang=lang, limit=3, config=cfg)
    out = []
    for q, (hits, _) in zip(queries, answers, strict=True):
        seen = {h.id for h in hits}
        for d in q.documents:
            for h in service.document_hits(session, viewer, d, lang=lang):
                if h.id not in seen:
                    hits.append(h)
                    seen.add(h.id)
        _rank(hits)
        out.append(hits)
    return out


_READERS: dict[str, Engine] = {}


def _reader(url: str) -> Engine:
    """A worker's engine for reading (one per database and process). On SQLite its
    transactions begin deferred: a reader never waits for the write lock of the job's own
    transaction (WAL: it reads the last committed state)."""
    engine = _READERS.get(url)
    if engine is None:
        backend = backend_for(url)
        engine = _READERS[url] = create_engine(url, poolclass=NullPool)
        if backend.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None
                backend.on_connect(dbapi_conn)

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

    return engine


def _screen_chunk_apart(
    url: str, viewer: Viewer, queries: list[service.PersonInput], cfg: ScoringConfig, lang: str
) -> list[list[Hit]]:
    """:func:`_screen_chunk` in a worker process, on its own connection.

    First the worker's heap is settled: what the previous chunks left alive (mostly the
    scoring caches, hundreds of thousands of objects) is frozen out of the garbage
    collector's full collections, after a collection of what is not frozen yet (the previous
    chunk's garbage: nothing of it is kept for ever). Without it the collector rescanned the
    growing caches over and over: a third of the worker's CPU."""
    gc.collect()
    gc.freeze()
    with Session(_reader(url)) as s:
        return _screen_chunk(s, viewer, queries, cfg, lang)


def _worker_url(session: Session) -> str | None:
    """The database URL a worker can open (None for an in-memory SQLite database)."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def screen_manifest(
    session: Session,
    viewer: Viewer | None,
    data: bytes,
    filename: str,
    *,
    lang: str = "en",
    progress: Progress | None = None,
    rows: list[dict[str, str]] | None = None,
    first: int = 1,
) -> ManifestOut:
    """Screen every row; one audit entry for the manifest.

    ``rows`` (from :func:`parse_manifest`, ``data`` then unused) screens one part of a manifest,
    numbered from ``first``, with one audit entry for that part: the console screens a long
    manifest part by part, each in its own short transaction, so that no transaction holds the
    database (SQLite's single writer) for the whole list.

    Rows are screened in chunks of :data:`CHUNK_ROWS` with the database work batched; every
    row gets the same answer as a single query. From :data:`PARALLEL_ROWS` rows on, worker
    processes (one per extra core) screen chunks on a database connection of their own while
    this process screens others: they read the committed records, so this is done only when
    no record change waits for the index (the queue is empty: nothing of this transaction is
    missing from what they read). Watchlist alerts, which write, and the audit entry stay in
    this process and this transaction."""
    v = require(viewer, Perm.read)
    start = time.perf_counter()
    rows = parse_manifest(data, filename) if rows is None else rows
    queued = index.pending(session)
    service.ensure_current(session)
    cfg = service.get_config(session)
    url = _worker_url(session)
    pool = workers.pool() if len(rows) >= PARALLEL_ROWS and url and not queued else None
    window = 2 * workers.count()
    results: list[ManifestRow] = []
    all_hits: list[Hit] = []
    inflight: deque[tuple[list[tuple[int, service.PersonInput]], Future[list[list[Hit]]]]]
    inflight = deque()

    def finish(queries: list[tuple[int, service.PersonInput]], answers: list[list[Hit]]) -> None:
        listed = wl.listed_targets(
            session, [h.id for hits in answers for h in hits if h.match or h.notice]
        )
        for (i, q), hits in zip(queries, answers, strict=True):
            if q.documents or any(h.id in listed for h in hits):
                query = {**q.as_dict(), "manifest": filename}
                wl.attach_alerts(session, v, hits, q.identity(), query)
            all_hits.extend(h for h in hits if h.match or h.notice)
            results.append(_summary(i, q, hits))

    with workers.collector_paused():
        for lo in range(0, len(rows), CHUNK_ROWS):
            queries: list[tuple[int, service.PersonInput]] = []
            for i, row in enumerate(rows[lo : lo + CHUNK_ROWS], start=lo + first):
                try:
                    queries.append((i, row_input(row)))
                except AppError as e:
                    results.append(ManifestRow(row=i, query=str(row)[:200], hits=0, error=e.detail))
            inputs = [q for _, q in queries]
            if pool is not None and url and len(inflight) < window:
                job = pool.submit(_screen_chunk_apart, url, v, inputs, cfg, lang)
                inflight.append((queries, job))
            else:  # screened here while the workers are busy
                finish(queries, _screen_chunk(session, v, inputs, cfg, lang))
            while inflight and inflight[0][1].done():
                done, job = inflight.popleft()
                finish(done, job.result())
            if progress:
                progress(len(results), len(rows))
        while inflight:
            done, job = inflight.popleft()
            finish(done, job.result())
            if progress:
                progress(len(results), len(rows))
    results.sort(key=lambda r: r.row)
    audit.record(
        session,
        v,
        "screen",
        "manifest",
        query={"file": filename, "rows": len(rows), **({"first": first} if first > 1 else {})},
        result_ids=[h.id for h in all_hits],
        owners=[h.owner_agency.id for h in all_hits],
    )
    return ManifestOut(
        rows=len(rows),
        matches=sum(1 for r in results if r.match and not r.notice),
        notices=sum(1 for r in results if r.notice),
        errors=sum(1 for r in results if r.error),
        seconds=round(time.perf_counter() - start, 3),
        results=results,
    )


CSV_FIELDS = (
    "row", "query", "hits", "best_score", "match", "notice", "record_type", "record_id",
    "label", "owner_agency", "action", "reasons", "error",
)  # fmt: skip


def to_csv(out: ManifestOut) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in out.results:
        d = r.model_dump(mode="json")
        w.writerow(["" if d[f] is None else d[f] for f in CSV_FIELDS])
    return buf.getvalue()
