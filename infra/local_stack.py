"""`make run`: the whole service on one machine, wired from template.yaml.

- moto's server plays AWS: every table and queue of the template is created in it;
- the customs-side simulator answers declarations and serves manifests and arrival reports, on
  http://127.0.0.1:8001 (SMARTDECL_CUSTOMS_PORT; a known port, so the docs' walkthroughs can name it);
- with the exchange channel (the default; SMARTDECL_CUSTOMS_CHANNEL=http declares over HTTP to the
  simulator instead), each local enterprise gets a Single Window client played by the simulator on a
  sandbox folder tree and a `smartdecl agent` beside it (infra/local_agents.py);
- the local runner plays EventBridge and the SQS event-source mappings of the template, calling
  the same handler modules Lambda would;
- the Chalice app serves the API on http://127.0.0.1:8000 (SMARTDECL_API_PORT).
Every process gets the environment the template gives the functions. Ctrl-C stops it all.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from infra import local_aws
from infra import template as cfn


def main(argv: list[str] | None = None) -> int:
    from chalicelib.config import DEV_JWT_SECRET, DEV_RECEIPT_SECRET, ConfigurationError, Settings

    demo = "--demo" in (sys.argv[1:] if argv is None else argv)
    api_port = int(os.environ.get("SMARTDECL_API_PORT", "8000"))
    moto_port = int(os.environ.get("SMARTDECL_MOTO_PORT", "0")) or local_aws.free_port()
    customs_port = int(os.environ.get("SMARTDECL_CUSTOMS_PORT", "8001")) or local_aws.free_port()
    schedule_seconds = int(os.environ.get("SMARTDECL_SCHEDULE_SECONDS", "60"))
    secret = os.environ.setdefault("SMARTDECL_JWT_SECRET", DEV_JWT_SECRET)
    secret_note = (
        "development default; set SMARTDECL_JWT_SECRET to change it"
        if secret == DEV_JWT_SECRET
        else "from SMARTDECL_JWT_SECRET"
    )
    receipt_secret = os.environ.setdefault("SMARTDECL_RECEIPT_SECRET", DEV_RECEIPT_SECRET)
    region = os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = os.environ.get(
        "AWS_DEFAULT_REGION", local_aws.LOCAL_REGION
    )
    os.environ.setdefault("SMARTDECL_AUTH_MODE", "hs256")
    channel = os.environ.get("SMARTDECL_CUSTOMS_CHANNEL") or "exchange"
    if channel not in ("exchange", "http"):
        print("smartdecl: cannot start: SMARTDECL_CUSTOMS_CHANNEL must be exchange or http", file=sys.stderr)
        return 2
    try:  # fail fast (issue #9): before anything starts, with the variable named, never its value
        Settings.from_env().require_api_secrets()
    except ConfigurationError as exc:
        print(f"smartdecl: cannot start: {exc}", file=sys.stderr, flush=True)
        return 2
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    moto, endpoint = local_aws.start_moto(moto_port)
    template = cfn.load()
    physical = local_aws.provision(template=template)

    os.environ.setdefault("SMARTDECL_LOCAL_MODE", "true")  # webhooks may target http://127.0.0.1 locally
    # ...but never the stack's own ports (moto's and the simulator's come from their endpoints)
    os.environ["SMARTDECL_LOCAL_STACK_PORTS"] = ",".join(str(p) for p in (api_port, moto_port, customs_port))
    from infra.customs_simulator import start_simulator

    # the simulator sends its signed DEC_RESULT receipts to our API, as customs would
    simulator, customs_url = start_simulator(
        port=customs_port, receipt_secret=receipt_secret, receipt_url=f"http://127.0.0.1:{api_port}/customs/receipts"
    )
    from infra.local_outbox import LocalOutbox, local_push_environment

    outbox_dir = Path(os.environ.get("SMARTDECL_OUTBOX", ".local/outbox")).resolve()
    _empty_outbox(outbox_dir)  # every start is a fresh stack: yesterday's messages would only mislead
    push_env = local_push_environment(outbox_dir, api_port)  # before the template's defaults land in os.environ
    os.environ.update(
        local_aws.environment(
            template, physical, {"SMARTDECL_CUSTOMS_ENDPOINT": customs_url, "SMARTDECL_CUSTOMS_CHANNEL": channel}
        )
    )
    os.environ["SMARTDECL_CUSTOMS_CHANNEL"] = channel
    os.environ.update(push_env)
    outbox = LocalOutbox(
        physical["EventsTopic"]["Ref"], outbox_dir, region, digest_topic_arn=physical["DigestTopic"]["Ref"]
    ).start()

    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app
    from infra.local_gateway import RequestHandler
    from infra.local_runner import LocalRunner

    runner = LocalRunner(template, physical, region=region, schedule_seconds=schedule_seconds).start()
    server = LocalDevServer(
        app,
        Config.create(chalice_stage="dev", app_name="smartdecl", chalice_app=app),
        "127.0.0.1",
        api_port,
        handler_cls=RequestHandler,
    )
    tables = [v["Ref"] for k, v in physical.items() if k.endswith("Table")]
    queues = [v["QueueName"] for v in physical.values() if "QueueName" in v]
    print(
        f"""
smartdecl local stack (region {region}, wired from template.yaml)
  API             http://127.0.0.1:{api_port}   (try: curl http://127.0.0.1:{api_port}/health)
  console         http://127.0.0.1:{api_port}/console/   (sign in: pick an enterprise and a card)
  customs (sim)   {customs_url}   (manifests: PUT /logistics/manifests/<bill_no>; see infra/customs_simulator/README.md)
  local AWS       {endpoint}   (moto)
    tables        {", ".join(tables)}
    queues        {", ".join(queues)}
  runner          {", ".join(sorted({m.function for m in runner.sqs_maps}))} on SQS; schedule every {schedule_seconds}s
  outbox          {outbox_dir}/email, /sms   (e-mail and digests as SNS would mail them; SMS as the provider stand-in's SendSms calls)
  JWT secret      {secret_note} (never printed)
  a token         .venv/bin/python scripts/issue_token.py --ent-code 1108919038 --uscc 91110000600037341L --role legal
Ctrl-C stops everything.
""",
        flush=True,
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    agents = _start_agents(channel, f"http://127.0.0.1:{api_port}", simulator)
    if demo:
        from infra.demo import seed

        seeded = seed(f"http://127.0.0.1:{api_port}", customs_url, secret, exchange=agents is not None)
        api = f"http://127.0.0.1:{api_port}"
        print(
            f"""demo loaded: {seeded["declarations"]} declarations, two configs, e-mail and SMS subscriptions; start pressed.
  TOKEN={seeded["token"]}
  watch:    curl -s {api}/executions/{seeded["execution_id"]} -H "Authorization: Bearer $TOKEN"
  query:    curl -s '{api}/declarations?smart_status=failed' -H "Authorization: Bearer $TOKEN"
  waiting:  curl -s '{api}/declarations?smart_status=pending&smart_mark=true' -H "Authorization: Bearer $TOKEN"
  tax:      curl -s {api}/tax-confirmations -H "Authorization: Bearer $TOKEN"
  a manifest releases a wait (at its re-check, within 5 minutes):  curl -s -XPUT {customs_url}/logistics/manifests/DEMOI0035 -d '{{"pack_no":10,"gross_wt":"1250.5"}}'
  pushed e-mail and SMS land in {outbox_dir}
"""
            + (
                f"  card failure (C134): {seeded['card_failure']} fails at the broker's card; `smartdecl continue` sends it again\n"
                if seeded.get("card_failure")
                else ""
            ),
            flush=True,
        )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    print("stopping…", flush=True)
    if agents is not None:
        agents.stop()
    server.shutdown()
    runner.stop()
    outbox.stop()
    simulator.shutdown()
    moto.stop()
    return 0


def _start_agents(channel: str, api: str, simulator: Any) -> Any:
    """The exchange channel's local half: a simulated client and an agent per local enterprise."""
    if channel != "exchange":
        print("customs channel  http: declarations are POSTed to the simulator (SMARTDECL_CUSTOMS_CHANNEL=http)\n")
        return None
    from infra import local_agents

    folder = Path(os.environ.get("SMARTDECL_LOCAL_AGENTS_DIR", ".local/agents")).resolve()
    try:
        started = local_agents.start(api, simulator.simulator, local_agents.enterprises(), folder)
    except local_agents.NoAgentRoutes:
        print("customs channel  this build's API has no agent routes: declarations go over HTTP to the simulator\n")
        return None
    except requests.RequestException as exc:  # the stack runs on; declarations wait, queued
        print(f"customs channel  exchange, but the local agents could not start: {exc}\n", flush=True)
        return None
    lines = "\n".join(
        f"    {ent_code}  {root}  (the Single Window client, simulated)" for ent_code, root in started.roots.items()
    )
    print(
        f"""customs channel  exchange: an agent per enterprise writes into its client's folders (SMARTDECL_CUSTOMS_CHANNEL=http for HTTP)
{lines}
    each agent starts once its enterprise accepted the user notice (用户须知); its credential is then in {folder}/<ent_code>/credential.txt
  client control  GET/POST {simulator.base_url}/control/clients[/<ent_code>]  (down, fail rate, card failure; see infra/customs_simulator/README.md)
""",
        flush=True,
    )
    return started


def _empty_outbox(folder: Path) -> None:
    """Remove the messages of an earlier run: the files inside the outbox's own sub-folders, nothing else."""
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.is_dir():
            for message in sub.iterdir():
                if message.is_file():
                    message.unlink()


if __name__ == "__main__":
    sys.exit(main())
