"""Manifest screening: a bus, train or flight list (CSV, XLSX or MRZ lines) screened in one go.

Each row becomes a :class:`~shekara.screening.service.PersonInput`; rows are screened with the
same two stages and policy as single queries, watchlist alerts included; the whole manifest
writes one audit entry (file name, row count, every returned id and its owner). The result is
JSON or a CSV with one line per row (best hit).
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from shekara.accounts.constants import Perm
from shekara.audit import service as audit
from shekara.errors import AppError, ValidationFailed
from shekara.policy.sharing import Viewer
from shekara.records.service import require
from shekara.screening import service, workers
from shekara.screening import watchlist as wl
from shekara.screening.schemas import Hit, ManifestOut, ManifestRow
from shekara.screening.scoring import Person as ScoredPerson
from shekara.screening.scoring import Reason, Score, ScoringConfig

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
#: from this many rows on, scoring is shared with a worker process per extra core
PARALLEL_ROWS = 200

Job = tuple[ScoredPerson, list[ScoredPerson], int, float | None, ScoringConfig]
Plain = tuple[float, bool | None, str | None, tuple[tuple[str, dict[str, Any]], ...]]


def _score_plain(jobs: list[Job]) -> list[list[Plain]]:
    """Scores as plain tuples (they cross a process boundary)."""
    return [
        [
            (s.value, s.match, s.grade, tuple((r.code, dict(r.params)) for r in s.reasons))
            for s in service.score_job(*job)
        ]
        for job in jobs
    ]


def _from_plain(rows: list[Plain]) -> list[Score]:
    return [Score(v, tuple(Reason(c, p) for c, p in rs), m, g) for v, m, g, rs in rows]


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

    Rows are screened in chunks of :data:`CHUNK_ROWS` with the database work batched
    (:func:`~shekara.screening.service.prepare_many`). For larger manifests the pure scoring
    of a chunk runs in a worker process while this process reads the next chunk (a pipeline
    over two cores); every row gets the same answer as a single query."""
    v = require(viewer, Perm.read)
    start = time.perf_counter()
    rows = parse_manifest(data, filename) if rows is None else rows
    service.ensure_current(session)
    cfg = service.get_config(session)
    pool = workers.pool() if len(rows) >= PARALLEL_ROWS else None
    results: list[ManifestRow] = []
    all_hits: list[Hit] = []
    pending: tuple[list[tuple[int, service.PersonInput]], service.PreparedBatch, Any] | None = None

    def finish(
        queries: list[tuple[int, service.PersonInput]], batch: service.PreparedBatch, scores: Any
    ) -> None:
        got = scores.result() if pool is not None else scores
        plain = [_from_plain(r) for r in got] if pool is not None else got
        answers = service.finish_many(session, v, batch, plain, lang=lang, limit=3)
        listed = wl.listed_targets(
            session, [h.id for hits, _ in answers for h in hits if h.match or h.notice]
        )
        for (i, q), (hits, _) in zip(queries, answers, strict=True):
            for d in q.documents:
                seen = {h.id for h in hits}
                hits += [
                    h for h in service.document_hits(session, v, d, lang=lang) if h.id not in seen
                ]
            hits.sort(key=lambda h: (not (h.match or h.notice), -(h.score or 0.0)))
            if q.documents or any(h.id in listed for h in hits):
                query = {**q.as_dict(), "manifest": filename}
                wl.attach_alerts(session, v, hits, q.identity(), query)
            all_hits.extend(h for h in hits if h.match or h.notice)
            results.append(_summary(i, q, hits))

    for lo in range(0, len(rows), CHUNK_ROWS):
        queries: list[tuple[int, service.PersonInput]] = []
        for i, row in enumerate(rows[lo : lo + CHUNK_ROWS], start=lo + first):
            try:
                queries.append((i, row_input(row)))
            except AppError as e:
                results.append(ManifestRow(row=i, query=str(row)[:200], hits=0, error=e.detail))
        batch = service.prepare_many(session, v, [q for _, q in queries], cfg)
        scores: Any = (
            pool.submit(_score_plain, batch.jobs)
            if pool is not None
            else [service.score_job(*job) for job in batch.jobs]
        )
        if pending is not None:
            finish(*pending)
        pending = (queries, batch, scores)
        if progress:
            progress(min(lo + CHUNK_ROWS, len(rows)), len(rows))
    if pending is not None:
        finish(*pending)
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
