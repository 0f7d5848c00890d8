"""The stack the API fuzzing runs against: template tables on moto, the API's wiring with the test
secrets, both enterprises enabled, and the Chalice app served over real HTTP as `make run` serves it
(threaded, our 404s). tests/security/test_fuzz_api.py uses it for the bounded run in `make test`;
`python -m tests.security.fuzz_stack` serves it for the longer run of docs/security.md."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.factories import ENT_B, JWT_SECRET, RECEIPT_SECRET, token


@contextmanager
def fuzz_stack(moto_endpoint: str) -> Iterator[str]:
    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app
    from chalicelib.config import Settings
    from chalicelib.container import Container, use_container
    from infra import local_aws
    from infra import template as cfn
    from infra.local_gateway import RequestHandler

    local_aws.reset_moto(moto_endpoint)
    physical = local_aws.provision()
    env = local_aws.environment(cfn.load(), physical, {"SMARTDECL_CUSTOMS_ENDPOINT": "http://127.0.0.1:9"})
    settings = Settings.from_env(
        {
            **env,
            "SMARTDECL_JWT_SECRET": JWT_SECRET,
            "SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET,
            "AWS_REGION": local_aws.LOCAL_REGION,
            "SMARTDECL_CUSTOMS_RETRIES": "0",
            "SMARTDECL_CUSTOMS_TIMEOUT_SECONDS": "1",
            "SMARTDECL_LOCAL_MODE": "true",
            # the per-enterprise limits are tested elsewhere; here they would turn answers into 429s
            "SMARTDECL_LIMIT_IMPORTS": "0",
            "SMARTDECL_LIMIT_EXECUTIONS": "0",
            "SMARTDECL_LIMIT_REPLAYS": "0",
        }
    )
    use_container(Container(settings))
    server = LocalDevServer(
        app,
        Config.create(chalice_stage="dev", app_name="smartdecl", chalice_app=app),
        "127.0.0.1",
        0,
        handler_cls=RequestHandler,
    )
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server.server_address[1]}"
    try:
        for enterprise in ({}, {"ent": ENT_B}):
            enabled = requests.post(
                f"{url}/enablement",
                json={"accept_notice": True},
                timeout=30,
                headers={"Authorization": f"Bearer {token(**enterprise)}"},
            )
            assert enabled.status_code == 200, enabled.text
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        use_container(None)


def main(argv: list[str]) -> int:
    """`python -m tests.security.fuzz_stack`: serve the stack until interrupted (its URL and a token
    of enterprise A printed). `python -m tests.security.fuzz_stack run [st run options]`: the longer
    run of docs/security.md, schemathesis' CLI with every check and phase against the stack."""
    import os
    import subprocess
    from pathlib import Path

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from infra import local_aws

    here = Path(__file__).resolve().parent
    moto, endpoint = local_aws.start_moto()
    try:
        with fuzz_stack(endpoint) as url:
            if not argv or argv[0] != "run":
                print(url, token(), sep="\n", flush=True)
                threading.Event().wait()
            command = [
                str(Path(sys.executable).with_name("st")),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "all",
                # in the forms tests/security/fuzz_hooks.py registers (they run with all the others)
                "--exclude-checks",
                "positive_data_acceptance,negative_data_rejection",
                "--header",
                f"Authorization: Bearer {token()}",
                *argv[1:],
            ]
            root = str(here.parents[1])
            env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.security.fuzz_hooks", "PYTHONPATH": root}
            return subprocess.run(command, env=env, cwd=root, check=False).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        moto.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
