"""The agent's log: a rotating file in its state folder (`<root>/smartdecl/logs/agent.log`, five files
of 5 MB), and the console when it runs in the foreground."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(message)s"


def configure(folder: Path, *, max_bytes: int, backups: int, console: bool = True, level: int = logging.INFO) -> Path:
    """Sends the agent's records (logger `smartdecl.agent`) to the file, and to stderr if asked."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "agent.log"
    logger = logging.getLogger("smartdecl.agent")
    logger.setLevel(level)
    for old in list(logger.handlers):  # configured once per process, even if called again
        logger.removeHandler(old)
        old.close()
    file_handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(stream)
    logger.propagate = False
    return path
