"""HttpLogisticsGateway: manifests (舱单) and arrival reports (运抵报告) from the customs side.

They come from the same side as declarations, so a transport failure after the retries raises
CustomsUnavailable too (the gates report it as customs_unavailable), with the same retry policy
and credentials seam as HttpCustomsGateway.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from chalicelib.domain.logistics import ArrivalReport, Manifest
from chalicelib.services.ports import LogisticsGateway

from .customs_gateway import CustomsProtocolError, HttpPort


class HttpLogisticsGateway(HttpPort, LogisticsGateway):
    """Manifests and arrival reports from the customs side (same client and retries as declaring)."""

    def manifest(self, bill_no: str) -> Manifest | None:
        found = self._get("manifests", bill_no)
        if found is None:
            return None
        try:
            pack_no = found["pack_no"]
            if isinstance(pack_no, bool) or not isinstance(pack_no, int):
                raise TypeError("pack_no is not a whole number")
            # str() first: a JSON number arrives as float, and Decimal(float) keeps its binary noise
            return Manifest(
                bill_no=bill_no,
                pack_no=pack_no,
                gross_wt=Decimal(str(found["gross_wt"])),
                traf_name=found.get("traf_name"),
                voyage_no=found.get("voyage_no"),
            )
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise CustomsProtocolError(f"manifest {bill_no}: unexpected answer ({exc!r})") from exc

    def arrival(self, bill_no: str) -> ArrivalReport | None:
        found = self._get("arrivals", bill_no)
        if found is None:
            return None
        try:
            arrived, at = found["arrived"], found.get("arrived_at")
            if not isinstance(arrived, bool):
                raise TypeError("arrived is not true/false")
            return ArrivalReport(
                bill_no=bill_no, arrived=arrived, arrived_at=datetime.fromisoformat(at) if at else None
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CustomsProtocolError(f"arrival {bill_no}: unexpected answer ({exc!r})") from exc

    def _get(self, kind: str, bill_no: str) -> dict[str, Any] | None:
        response = self._http.request(
            "GET",
            f"/logistics/{kind}/{quote(bill_no, safe='')}",
            what=f"{kind[:-1]} {bill_no}",
            headers={"Accept": "application/json"},
        )
        if response.status_code == 404:
            return None
        if not 200 <= response.status_code < 300:
            raise CustomsProtocolError(f"{kind[:-1]} {bill_no}: HTTP {response.status_code}")
        try:
            found = response.json()
        except ValueError as exc:
            raise CustomsProtocolError(f"{kind[:-1]} {bill_no}: the answer is not JSON") from exc
        if not isinstance(found, dict):
            raise CustomsProtocolError(f"{kind[:-1]} {bill_no}: the answer is not a JSON object")
        return found
