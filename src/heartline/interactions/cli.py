"""`heartline import KIND FILE`: a CSV or JSONL file in, bad rows reported, good rows stored."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TimeRemainingColumn,
)
from rich.text import Text

from heartline import csvsafe

if TYPE_CHECKING:  # the importers load at run time, not when `heartline` starts
    from heartline.importing import ImportReport, RowError

err = Console(stderr=True)
out = Console()


def _sessions() -> Any:
    """The session factory (heartline.db loads when a command runs, not at start-up)."""
    from heartline import db as dbmod

    return dbmod.get_sessionmaker()


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def import_cmd(
    kind: Annotated[
        str,
        typer.Argument(
            help="customers | orders | interactions | surveys | zendesk | freshdesk"
            " | shopify-orders | woocommerce-orders | shopify-products | woocommerce-products"
        ),
    ],
    file: Annotated[Path, typer.Argument(exists=True, readable=True)],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv | jsonl (default: by extension)")
    ] = None,
    errors_out: Annotated[
        Path | None, typer.Option("--errors", help="Write rejected rows to this CSV")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10000)] = 500,
    score: Annotated[
        bool, typer.Option("--score/--no-score", help="Score messages while importing")
    ] = True,
    restart: Annotated[
        bool, typer.Option("--restart", help="Help-desk exports: read again from the start")
    ] = False,
    shop: Annotated[
        str | None, typer.Option("--shop", help="Shop orders: the shop they are from")
    ] = None,
) -> None:
    """Import a CSV or JSONL file, or a Zendesk/Freshdesk export (a folder or one file) as
    silent history; bad rows are reported (line, field, reason), good rows stored."""
    if kind in ("zendesk", "freshdesk"):
        _import_helpdesk(kind, file, errors_out, batch_size, restart)
    elif kind.startswith(("shopify-", "woocommerce-")):
        _import_shop(kind, file, errors_out, shop)
    else:
        _import_file(kind, file, fmt, errors_out, batch_size, score)


def _import_file(
    kind: str, file: Path, fmt: str | None, errors_out: Path | None, batch_size: int, score: bool
) -> None:
    """A CSV or JSONL file of one kind, with a progress bar: rows, rows/s, ETA (by bytes)."""
    from heartline.interactions.importers import KINDS, import_file

    if file.is_dir():
        _fail(f"{file} is a folder: {kind} imports read one CSV or JSONL file")
    if kind not in KINDS:
        _fail(f"kind must be one of: {', '.join(KINDS)}")
    if fmt not in (None, "csv", "jsonl"):
        _fail("--format must be csv or jsonl")
    size = file.stat().st_size
    with _ErrorSink(errors_out) as sink, _progress() as bar:
        task = bar.add_task(f"importing {kind}", total=size, rows=0)
        report = import_file(
            _sessions(),
            kind=kind,
            path=file,
            fmt=fmt,
            batch_size=batch_size,
            on_progress=lambda pos, rows: bar.update(task, completed=pos, rows=rows),
            on_error=sink.add,
            score=score,
        )
        bar.update(task, completed=size, rows=report.rows)
    sink.summarise(report.failed)
    out.print(_summary(kind, report))
    if report.rows and report.stored == 0:
        raise typer.Exit(1)


def _import_helpdesk(
    source: str, path: Path, errors_out: Path | None, batch_size: int, restart: bool
) -> None:
    """A help-desk export in, silently (no routing, alerts, playbooks or messages)."""
    from heartline.helpdesk import service as helpdesk_service

    with _ErrorSink(errors_out) as sink:
        try:
            report = helpdesk_service.run_import(
                _sessions(),
                source=source,
                path=path,
                batch_size=batch_size,
                restart=restart,
                on_error=sink.add,
            )
        except ValueError as exc:
            _fail(str(exc))
    sink.summarise(report.failed)
    out.print(_summary(source, report))
    out.print(
        f"{report.tickets} tickets, {report.customers} customers, {report.ratings} ratings; "
        f"{report.private_notes} private notes left out; "
        f"{report.already_imported} records already imported by an earlier run"
    )
    if report.rows and report.stored == 0:
        raise typer.Exit(1)


def _import_shop(kind: str, path: Path, errors_out: Path | None, shop: str | None) -> None:
    """A Shopify or WooCommerce order or product export in (orders go to the playbooks)."""
    from heartline.shop import service as shop_service

    if kind not in shop_service.IMPORT_KINDS:
        _fail(f"kind must be one of: {', '.join(shop_service.IMPORT_KINDS)}")
    with _ErrorSink(errors_out) as sink:
        try:
            report = shop_service.import_export(
                _sessions(), kind=kind, path=path, shop=shop,
                on_error=sink.add,
            )  # fmt: skip
        except ValueError as exc:
            _fail(str(exc))
    sink.summarise(report.failed)
    out.print(_summary(kind, report))
    if report.rows and report.stored == 0:
        raise typer.Exit(1)


class _RowsColumn(ProgressColumn):
    """Rows read so far and rows per second (the bar and the ETA go by bytes of the file)."""

    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = f"{rows / elapsed:,.0f} rows/s" if elapsed else "- rows/s"
        return Text(f"{rows:,} rows  {rate}", style="progress.data.speed")


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        _RowsColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )


class _ErrorSink:
    """Rejected rows: the first SHOWN on the terminal, all of them in the --errors CSV."""

    SHOWN = 20

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.shown = 0
        self._handle: TextIO | None = None
        self._writer: Any = None

    def __enter__(self) -> _ErrorSink:
        if self.path is not None:
            self._handle = self.path.open("w", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "field", "reason"])
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def add(self, e: RowError) -> None:
        if self._writer is not None:
            self._writer.writerow(csvsafe.row([e.line, e.field, e.message]))
        if self.shown < self.SHOWN:
            err.print(f"[yellow]line {e.line}[/yellow] {e.field}: {e.message}")
            self.shown += 1

    def summarise(self, failed: int) -> None:
        if failed > self.shown:
            where = (
                f" (all in {self.path})" if self.path else " (use --errors FILE for the full list)"
            )
            err.print(f"... {failed - self.shown} more rejected rows" + where)


def _summary(kind: str, report: ImportReport) -> str:
    text = (
        f"{kind}: {report.rows} rows read, {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.failed} rejected"
    )
    if report.left_to_recovery:
        text += f"; the queue was unreachable, {report.left_to_recovery} will be scored by recovery"
    return text
