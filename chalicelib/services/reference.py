"""Use case: the reference data forms are built from: the declaration's fields and the code tables.

Read-only and the same for every enterprise: the field table (domain/declaration_fields.py) with
what the model requires, and each code table with its source and date.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import codes, errors
from chalicelib.domain.declaration import is_required, leaf_paths
from chalicelib.domain.declaration_fields import GROUPS, by_path


def field_catalogue() -> dict[str, Any]:
    """The form's groups, and every field in the form's order (the model's)."""
    specs = by_path()
    return {
        "groups": [{"key": g.key, "label_zh": g.label_zh, "label_en": g.label_en} for g in GROUPS],
        "fields": [
            {
                "path": path,
                "tag": specs[path].tag,
                "label_zh": specs[path].label_zh,
                "label_en": specs[path].label_en,
                "group": specs[path].group,
                "code_table": specs[path].code_table,
                "required": is_required(path),
            }
            for path in leaf_paths()
        ],
    }


def code_table(name: str) -> dict[str, Any]:
    """One code table: its codes with their names, its source and date; not_found for another name."""
    if name not in codes.TABLE_LABELS:  # only the shipped tables: the name never reaches the file system
        raise errors.not_found("代码表", "code table", name)
    label_zh, label_en = codes.TABLE_LABELS[name]
    source, made = codes.provenance(name)
    return {
        "name": name,
        "label_zh": label_zh,
        "label_en": label_en,
        "source": source,
        "date": made,
        "codes": [
            {"code": code, "zh": row["zh"], **({"en": row["en"]} if "en" in row else {})}
            for code, row in codes.table(name).items()
        ],
    }
