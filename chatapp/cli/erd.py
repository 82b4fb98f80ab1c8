"""`cli.py erd`: the schema, drawn from the models, as a Mermaid diagram in docs/erd.md."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Table, UniqueConstraint

from chatapp.extensions import db

HEADER = """# Entity-relationship diagram

Generated from the SQLAlchemy models by `python cli.py erd`; a test fails when it is stale.
`PK` primary key, `FK` foreign key, `UK` unique.

```mermaid
erDiagram
"""


def _type(column) -> str:
    name = column.type.__class__.__name__.lower()
    if hasattr(column.type, "impl"):
        name = "datetime"
    return {
        "integer": "int",
        "biginteger": "bigint",
        "string": "string",
        "text": "text",
        "boolean": "bool",
        "datetime": "datetime",
    }.get(name, name)


def _marks(table: Table, column) -> str:
    marks = []
    if column.primary_key:
        marks.append("PK")
    if column.foreign_keys:
        marks.append("FK")
    if column.unique or any(
        isinstance(c, UniqueConstraint) and list(c.columns) == [column] for c in table.constraints
    ):
        marks.append("UK")
    return ",".join(marks)


def render() -> str:
    """The diagram for the current models, deterministic (sorted)."""
    lines = [HEADER.rstrip("\n")]
    tables = sorted(db.metadata.tables.values(), key=lambda t: t.name)
    for table in tables:
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            marks = _marks(table, column)
            lines.append(f"        {_type(column)} {column.name}" + (f" {marks}" if marks else ""))
        lines.append("    }")
    for table in tables:
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            parent = fk.column.table.name
            optional = "o" if fk.parent.nullable else "|"
            lines.append(f'    {parent} |{optional}--o{{ {table.name} : "{fk.parent.name}"')
    lines.append("```")
    return "\n".join(lines) + "\n"


def erd_path() -> str:
    return os.path.join(os.path.dirname(current_app.root_path), "docs", "erd.md")


@click.command("erd")
@click.option("--check", is_flag=True, help="Exit 1 if docs/erd.md is not up to date.")
@with_appcontext
def erd(check: bool) -> None:
    """Render the schema as a Mermaid ER diagram into docs/erd.md."""
    text = render()
    path = erd_path()
    if check:
        current = Path(path).read_text() if os.path.exists(path) else ""
        if current != text:
            raise click.ClickException("docs/erd.md is stale: run `python cli.py erd`.")
        click.echo("docs/erd.md is up to date.")
        return
    Path(path).write_text(text)
    click.echo(f"Wrote {path}.")
