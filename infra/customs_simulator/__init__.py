"""Customs-side simulator for local runs and tests: `python -m infra.customs_simulator --port N`,
or `start_simulator()` in a daemon thread. Endpoints and the sandbox convention: see server.py
and README.md in this folder."""

from __future__ import annotations

from .server import CustomsSimulator, SimulatorServer, start_simulator

__all__ = ["CustomsSimulator", "SimulatorServer", "start_simulator"]
