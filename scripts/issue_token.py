#!/usr/bin/env python3
"""Issue a local HS256 token for an enterprise and role (local stack and curl; never deployed).

    .venv/bin/python scripts/issue_token.py --ent-code 1108919038 --uscc 91110000600037341L --role legal
Uses SMARTDECL_JWT_SECRET, or the development default that `make run` prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.adapters.tokens import issue_token
from chalicelib.config import DEV_JWT_SECRET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ent-code", required=True, help="10-character customs code of the enterprise")
    parser.add_argument(
        "--uscc", required=True, help="18-character unified social credit code (the enterprise is both codes)"
    )
    parser.add_argument("--role", choices=["legal", "operator"], default="legal")
    parser.add_argument("--card-no", default=None, help="login card number (default: derived from the code)")
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args()
    secret = os.environ.get("SMARTDECL_JWT_SECRET") or DEV_JWT_SECRET
    card = args.card_no or f"{args.ent_code}{'L' if args.role == 'legal' else 'O'}01"
    print(
        issue_token(
            secret,
            ent_code=args.ent_code,
            ent_uscc=args.uscc,
            role=args.role,
            card_no=card,
            ttl_seconds=int(args.hours * 3600),
        )
    )


if __name__ == "__main__":
    main()
