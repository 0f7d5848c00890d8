"""Count what `make demo` pushed, from its outbox: messages per subscriber, declaration and state.

    .venv/bin/python -m infra.demo_outbox [.local/outbox]

The rule (issue #10): at most one message per declaration and state to each subscriber. An SMS
names its declaration by bill of lading (TemplateParam "ref") and its state by template (and a
receipt's by its "receipt" text); an e-mail by 统一编号 and 状态. Exits 1 when the rule is broken.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path


def count(outbox: Path) -> Counter:
    """(protocol, subscriber, declaration, state) → messages."""
    found: Counter = Counter()
    for path in sorted((outbox / "sms").glob("*.json")):
        call = json.loads(path.read_text(encoding="utf-8"))
        params = json.loads(call.get("TemplateParam") or "{}")
        state = call.get("TemplateCode", "") + (f":{params['receipt']}" if params.get("receipt") else "")
        found[("sms", call.get("PhoneNumbers"), params.get("ref"), state)] += 1
    for path in sorted((outbox / "email").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        to = re.search(r"^To: (.+)$", text, re.M)
        seq_no = re.search(r"^统一编号：(\S+)", text, re.M)
        state = re.search(r"^状态：(.+)$", text, re.M)
        if seq_no is None:  # a digest or another kind of mail: not one declaration's state
            continue
        found[("email", to and to.group(1), seq_no.group(1), state and state.group(1))] += 1
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outbox = Path(args[0] if args else ".local/outbox")
    found = count(outbox)
    for protocol in ("sms", "email"):
        mine = {k: n for k, n in found.items() if k[0] == protocol}
        repeated = {k: n for k, n in mine.items() if n > 1}
        print(
            f"{protocol}: {sum(mine.values())} messages, {len({k[2] for k in mine})} declarations, "
            f"{len(mine)} (subscriber, declaration, state); most for one: {max(mine.values(), default=0)}; "
            f"repeated: {len(repeated)}"
        )
        for key, n in sorted(repeated.items()):
            print(f"  {n}× {key}")
    return 1 if any(n > 1 for n in found.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
