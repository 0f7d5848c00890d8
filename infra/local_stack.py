"""`make run`: the service on one machine.

moto's server plays AWS (tables created from template.yaml), and the Chalice app serves the API
on http://127.0.0.1:8000 (SMARTDECL_API_PORT). Stops cleanly on Ctrl-C.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from infra import local_aws


def main() -> int:
    api_port = int(os.environ.get("SMARTDECL_API_PORT", "8000"))
    moto_port = int(os.environ.get("SMARTDECL_MOTO_PORT", "0")) or local_aws.free_port()
    from chalicelib.config import DEV_JWT_SECRET
    secret = os.environ.setdefault("SMARTDECL_JWT_SECRET", DEV_JWT_SECRET)
    secret_note = " (development default; set SMARTDECL_JWT_SECRET to change it)" if secret == DEV_JWT_SECRET else ""
    os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = os.environ.get("AWS_DEFAULT_REGION",
                                                                                  local_aws.LOCAL_REGION)
    os.environ.setdefault("SMARTDECL_AUTH_MODE", "hs256")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    moto, endpoint = local_aws.start_moto(moto_port)
    created = local_aws.provision()

    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app
    server = LocalDevServer(app, Config.create(chalice_stage="dev", app_name="smartdecl", chalice_app=app),
                            "127.0.0.1", api_port)

    print(f"""
smartdecl local stack (region {os.environ['AWS_DEFAULT_REGION']})
  API            http://127.0.0.1:{api_port}   (try: curl http://127.0.0.1:{api_port}/health)
  local AWS      {endpoint}   (moto; tables: {', '.join(created['tables'])})
  JWT secret     {secret}{secret_note}
  a token        .venv/bin/python scripts/issue_token.py --ent-code 1108919038 --uscc 91110000600037341L --role legal
Ctrl-C stops everything.
""", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    print("stopping…", flush=True)
    server.shutdown()
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
