"""`smartdecl import`: declarations from .json, .xlsx and DecMessage .xml files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .. import importing, output
from ..context import JsonOpt, Refused, command, state
from ..output import err


@command
def import_files(
    files: Annotated[list[Path], typer.Argument(help=".json, .xlsx or DecMessage .xml files.")],
    smart_mark: Annotated[
        bool, typer.Option("--smart-mark/--no-smart-mark", help="Import with the smart mark.")
    ] = False,
    rejected_out: Annotated[Path | None, typer.Option(help="Write rejected records (JSON).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Records per request (≤ 500).")] = importing.MAX_RECORDS,
    mapping: Annotated[
        str | None, typer.Option(help="A column mapping's name or id: the .xlsx files are goods lists read through it.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import declarations; re-running after a crash creates nothing twice (Idempotency-Key per request)."""
    from rich.progress import Progress

    from .mappings import resolve_mapping

    st = state()
    mapping_id = resolve_mapping(st.client, mapping) if mapping is not None else None
    chunks = importing.chunks(files, smart_mark=smart_mark, size=chunk_size, mapping=mapping_id)
    summary = importing.Summary()
    with Progress(console=err, transient=True, disable=as_json) as progress:
        task = progress.add_task("import", total=len(chunks))
        for chunk in chunks:
            answer = st.client.request(
                "POST",
                chunk.path,
                params=chunk.query,
                data=chunk.body,
                headers={"Content-Type": chunk.content_type, "Idempotency-Key": chunk.idempotency_key},
            )
            summary.add(chunk, answer or {})
            progress.advance(task)
    if rejected_out is not None:
        rejected_out.write_text(json.dumps(summary.rejected, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        output.print_json(summary.as_json())
    else:
        output.table(
            None,
            ["file", "accepted", "rejected"],
            [
                (
                    f,
                    sum(1 for a in summary.accepted if a["file"] == f),
                    sum(1 for r in summary.rejected if r["file"] == f),
                )
                for f in dict.fromkeys(c.file for c in chunks)
            ],
        )
        if summary.advisories:
            output.table(
                "advisories",
                ["file", "seq_no", "g_no", "advisory"],
                [
                    (a["file"], a["seq_no"], a.get("g_no"), a.get(f"message_{st.lang}") or a.get("message_zh"))
                    for a in summary.advisories
                ],
            )
        if summary.rejected:
            output.table(
                "rejected",
                ["file", "index", "field", "error"],
                [
                    (r["file"], r["index"], e.get("field"), e.get(f"message_{st.lang}") or e.get("message_zh"))
                    for r in summary.rejected
                    for e in r.get("errors") or [{}]
                ],
            )
    if summary.rejected:
        raise Refused(f"{len(summary.rejected)} rejected" if st.lang == "en" else f"{len(summary.rejected)} 条被拒绝")
