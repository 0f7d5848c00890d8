"""Factories for test data: make_declaration_body(**overrides), make_identity(...), tokens, configs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.domain.declaration_fields import FIELDS
from chalicelib.domain.identity import Identity

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "examples"
ROOT = Path(__file__).resolve().parents[1]

# Enterprise A: the example's declaring unit (and consignee). Enterprise B: another tenant.
ENT_A = {"code": "1108919038", "uscc": "91110000600037341L", "name": "中国大恒(集团)有限公司"}
ENT_B = {"code": "3101234567", "uscc": "91310000MA1FL4CT3U", "name": "上海某某报关有限公司"}
JWT_SECRET = "test-secret-for-unit-and-integration-tests"
RECEIPT_SECRET = "test-receipt-hmac-secret-of-32-bytes-or-more"

_DECLARATION = {
    "ie_flag": "I",
    "declaration_type": "general",
    "two_step": False,
    "self_pay": True,
    "summarized_tax": False,
    "declare_customs": "0101",
    "ie_port": "0101",
    "ie_date": "2024-03-20",
    "agent": dict(ENT_A),
    "consignee": dict(ENT_A),
    "owner": dict(ENT_A),
    "bill_no": "CS2024022501",
    "transport_mode": "5",
    "traf_name": "CA986",
    "voyage_no": "20240320",
    "trade_mode": "0110",
    "cut_mode": "101",
    "trans_mode": "1",
    "trade_country": "USA",
    "depart_country": "USA",
    "freight": None,
    "insurance": None,
    "pack_no": 10,
    "wrap_type": "22",
    "gross_wt": "1250.5",
    "net_wt": "1180",
    "note": "",
    "goods": [
        {
            "g_no": 1,
            "code_ts": "8471309000",
            "g_name": "便携式自动数据处理设备",
            # the declaration elements of 8471.30 in order: 品牌类型 4 (foreign brand), 出口享惠情况 3
            # (an import), configuration, brand, model, then the optional GTIN, CAS and 其他
            "g_model": "4|3|处理器、内存、硬盘、14英寸显示屏、键盘|ThinkPad|X1 Carbon|||",
            "qty": "100",
            "unit": "001",
            "first_qty": "100",
            "first_unit": "001",
            "decl_price": "820.00",
            "decl_total": "82000.00",
            "currency": "USD",
            "origin_country": "USA",
            "destination_country": "CHN",
            "duty_mode": "1",
        }
    ],
    "containers": [],
    "documents": [{"edoc_code": "00000001", "edoc_no": "INV-2024-0320"}],
}


def make_declaration_body(**overrides: Any) -> dict[str, Any]:
    """The canonical example declaration (shared/examples/declaration.json, without seq_no)."""
    body = copy.deepcopy(_DECLARATION)
    body.update(copy.deepcopy(overrides))
    if body["ie_flag"] == "E" and "goods" not in overrides:
        for goods in body["goods"]:  # an export's 出口享惠情况 (second element) is 0-2; the import's is 3
            goods["g_model"] = goods["g_model"].replace("4|3|", "4|0|", 1)
    return body


# Every field of the content filled (tests/unit/test_declaration_fields.py holds it complete): the
# declaration that round-trips through every format.
_FULL_DECLARATION: dict[str, Any] = {
    "seq_no": "I20240001031824871",
    "source_seq_no": "I20240001031824871",
    "ie_flag": "I",
    "declaration_type": "paperless_clearance",
    "two_step": False,
    "self_pay": True,
    "summarized_tax": True,
    "declare_customs": "2201",
    "ie_port": "2248",
    "ie_date": "2024-03-20",
    "manual_no": "C220124A0012",
    "contr_no": "HC-US-2024-0320",
    "license_no": "24-AA-100231",
    "appr_no": "A2024-118",
    "decl_trn_rel": "0",
    "bill_type": "1",
    "chk_surety": "0",
    "check_flow": "0",
    "tax_aamin_mark": "0",
    "agent": {"code": "3101234567", "uscc": "91310000MA1FL4CT3U", "name": "上海某某报关有限公司"},
    "consignee": dict(ENT_A),
    "owner": dict(ENT_A),
    "agent_ciq_code": "3100910053",
    "consignee_ciq_code": "1100601234",
    "consignee_name_en": "CHINA DAHENG GROUP CO., LTD.",
    "owner_ciq_code": "1100601234",
    "overseas_consignor": {
        "code": "US-AEO-2210",
        "name": "联想美国公司",
        "name_en": "LENOVO (UNITED STATES) INC.",
        "address": "1009 THINK PLACE, MORRISVILLE, NC 27560, USA",
    },
    "overseas_consignee": {"code": "NO", "name_en": "NONE"},
    "bill_no": "COSU6234567890",
    "bl_no": "COSU6234567890-01",
    "transport_mode": "2",
    "traf_name": "COSCO SHIPPING ARIES",
    "voyage_no": "045E",
    "distinate_port": "USA021",
    "desp_port": "USA021",
    "enty_port": "310701",
    "goods_place": "上海市浦东新区洋山港区仓库",
    "desp_date": "2024-03-02",
    "cmpl_dschrg_dt": "2024-03-19",
    "trade_mode": "0110",
    "cut_mode": "101",
    "trans_mode": "3",
    "trade_country": "USA",
    "depart_country": "USA",
    "price_statements": {
        "special_relationship": False,
        "price_influence": False,
        "royalty_payment": False,
        "formula_pricing": True,
        "provisional_price": False,
    },
    "special_business": {
        "international_event": False,
        "military_goods": False,
        "aid_goods": False,
        "international_meeting": True,
        "direct_release": False,
        "diplomatic": False,
        "transit": False,
    },
    "freight": {"mark": "3", "rate": "1500", "currency": "USD"},
    "insurance": {"mark": "1", "rate": "0.3", "currency": "USD"},
    "other_fee": {"mark": "3", "rate": "120", "currency": "USD"},
    "pack_no": 120,
    "wrap_type": "22",
    "no_other_pack": "0",
    "gross_wt": "1250.5",
    "net_wt": "1180",
    "mark_no": "N/M",
    "note": "整箱",
    "org_code": "2201",
    "vsa_org_code": "2201",
    "insp_org_code": "2248",
    "purp_org_code": "2200",
    "orig_box_flag": "1",
    "correlation_no": "220120240000000123",
    "correlation_reason": "01",
    "rel_id": "220120240000000456",
    "rel_man_no": "C220124A0011",
    "bon_no": "L2201A00011",
    "cus_fie": "2248A001",
    "goods": [
        {
            "g_no": 1,
            "code_ts": "8471300000",
            "ciq_code": "999",
            "g_name": "便携式自动数据处理设备",
            "g_name_en": "NOTEBOOK COMPUTER",
            "g_model": "笔记本电脑|14英寸|品牌:ThinkPad|型号:X1",
            "qty": "100",
            "unit": "001",
            "first_qty": "100",
            "first_unit": "001",
            "second_qty": "250",
            "second_unit": "035",
            "decl_price": "820",
            "decl_total": "82000",
            "currency": "USD",
            "origin_country": "USA",
            "orig_place_code": "USA-NC",
            "destination_country": "CHN",
            "district_code": "31222",
            "dest_code": "310115",
            "duty_mode": "1",
            "contr_item": 3,
            "exg_no": "TP-X1-14",
            "exg_version": 1,
            "use_to": "11",
            "work_usd": "12.5",
            "purpose": "99",
            "goods_attr": "19,20",
            "goods_spec": "14英寸",
            "goods_model": "X1 Carbon Gen 11",
            "goods_brand": "ThinkPad",
            "produce_date": "20240105",
            "prod_batch_no": "B2401",
            "prod_valid_dt": "20290105",
            "prod_qgp": "60个月",
            "stuff": "铝镁合金外壳",
            "eng_man_ent_cnm": "LENOVO PC INTERNATIONAL",
            "mnufctr_reg_no": "MFR-001",
            "mnufctr_reg_name": "联想电脑国际有限公司",
            "ciq_name": "便携式电脑",
            "no_dang_flag": "1",
            "uncode": "UN3481",
            "dang_name": "锂离子电池组",
            "dang_pack_type": "II",
            "dang_pack_spec": "4G/Y",
            "licences": [
                {
                    "lic_type_code": "325",
                    "licence_no": "2024010800001234",
                    "lic_wrtof_detail_no": "1",
                    "lic_wrtof_qty": "100",
                    "lic_wrtof_qty_unit": "001",
                    "vins": [
                        {
                            "vin_no": "1",
                            "bill_lad_date": "2024-03-01",
                            "quality_qgp": "3年或10万公里",
                            "motor_no": "B48A20A1234567",
                            "vin_code": "WBA11AA010CH12345",
                            "chassis_no": "CH12345",
                            "invoice_num": "1",
                            "prod_cnnm": "小轿车",
                            "prod_ennm": "PASSENGER CAR",
                            "model_en": "X1 SDRIVE20LI",
                            "price_per_unit": "32000",
                            "invoice_no": "INV-2024-0320",
                        }
                    ],
                }
            ],
        }
    ],
    "containers": [
        {"container_id": "CSLU1234567", "container_md": "11", "goods_no": "1", "lcl_flag": "0", "container_wt": "3750"}
    ],
    "documents": [{"edoc_code": "00000001", "edoc_no": "INV-2024-0320"}],
    "licence_documents": [{"docu_code": "7", "cert_code": "2024-AI-000123"}],
    "requested_certificates": [{"app_cert_code": "11", "originals": 1, "copies": 2}],
    "other_packs": [{"pack_type": "92", "pack_qty": "4"}],
}


def make_full_declaration_body(**overrides: Any) -> dict[str, Any]:
    """A declaration with every field of the content filled."""
    body = copy.deepcopy(_FULL_DECLARATION)
    body.update(copy.deepcopy(overrides))
    return body


def shared_example(name: str) -> dict[str, Any]:
    data = json.loads((SHARED / name).read_text(encoding="utf-8"))
    data.pop("_comment", None)
    return data


def make_identity(ent: dict[str, str] = ENT_A, role: str = "legal", card_no: str = "8911020000108") -> Identity:
    return Identity(
        ent_code=ent["code"], ent_uscc=ent["uscc"], role=role, card_no=card_no, sub=f"{ent['code']}:{card_no}"
    )


def make_config_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "大恒企业进口",
        "enabled": True,
        "ie_flag": "I",
        "effective_by": "enterprise",
        "agent": dict(ENT_A),
        "consignee": dict(ENT_A),
        "operator_cards": [],
        "auxiliary_confirm": True,
        "auto_agency_agreement": True,
        "require_manifest": True,
        "require_arrival": False,
        "compare_manifest": True,
        "batch_wait_seconds": 60,
    }
    body.update(copy.deepcopy(overrides))
    return body


def token(ent: dict[str, str] = ENT_A, role: str = "legal", card_no: str = "8911020000108", **kw: Any) -> str:
    from chalicelib.adapters.tokens import issue_token

    return issue_token(JWT_SECRET, ent_code=ent["code"], ent_uscc=ent["uscc"], role=role, card_no=card_no, **kw)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime = datetime(2024, 3, 21, 3, 7, 21, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


def without_fields(raw: dict[str, Any], paths: set[str]) -> dict[str, Any]:
    """`raw` less the given leaf paths ("goods[].g_name_en": in every item)."""
    out = copy.deepcopy(raw)
    for path in paths:
        parents = [out]
        names = path.split(".")
        for name in names[:-1]:
            found = []
            for node in parents:
                value = node.get(name.removesuffix("[]"))
                found += value if isinstance(value, list) else [value] if isinstance(value, dict) else []
            parents = found
        for node in parents:
            node.pop(names[-1], None)
    return out


def set_first(raw: dict[str, Any], path: str, value: Any) -> None:
    """Sets a leaf, in the first item of each list on the way."""
    *parents, leaf = path.split(".")
    for name in parents:
        raw = raw[name[:-2]][0] if name.endswith("[]") else raw[name]
    raw[leaf] = value


def less_fields(raw: dict[str, Any], paths: set[str]) -> dict[str, Any]:
    """`raw` less the given leaf paths, and less the lists and groups all of whose fields they are
    (what a format without those fields gives back)."""
    out = without_fields(raw, paths)
    gone = {s.list for s in FIELDS if s.list} - {s.list for s in FIELDS if s.path not in paths}
    for name in sorted(gone, key=len, reverse=True):  # the innermost first
        set_first(out, name, [])
    return {key: value for key, value in out.items() if value != {}}
