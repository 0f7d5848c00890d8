"""One enterprise's `smartdecl agent` as a process of its own, for make soak (bench/soak_exchange.py),
which kills it with SIGKILL mid-step and starts it again: what a broker's PC losing power does. The
agent is the package's (smartdecl_agent.Agent), with the settings `make run` gives its local agents
apart from the folder scan and the outbox poll, which are a real agent's defaults; its journal lives
in the client's folder tree (the default), so a restart finds it.

    python -m bench.soak_agent --url URL --root IMPPATH --credential-file FILE --log FILE
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--credential-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(
        filename=args.log, level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    from smartdecl_agent.agent import Agent
    from smartdecl_agent.settings import AgentSettings

    settings = AgentSettings.from_env({}, url=args.url, credential_file=args.credential_file, root=args.root)
    agent = Agent.open(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        agent.run(stop)
    finally:
        agent.journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
