"""The declaration (报关单): its content as the API contract, and its record with state.

Field names are the contract of shared/examples/declaration.json; lengths and precisions are
the customs message's (DecMessage), see shared/examples/declaration-fields.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from . import codes, declaration_fields, text_rules
from .declaration_status import STATUS_LABELS, DeclarationStatus
from .errors import FieldError
from .exchange import HANDOVER_WORDS
from .smart_status import LABELS as SMART_STATUS_LABELS
from .timestamps import iso

# [0-9], never \d: \d also matches other scripts' digits (Arabic-Indic ٠١٢…), which customs does not take.
SEQ_NO_RE = re.compile(r"^[IE][0-9]{17}$")
ENTRY_ID_RE = re.compile(r"^[0-9]{18}$")
MAX_GOODS = 50  # a declaration carries at most 50 goods items


class TaxStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"


# ---- field validators (raise PydanticCustomError: `type` picks the bilingual message) ----


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class SchemaHint:
    """What a validator checks, told to the JSON schema (the OpenAPI document is generated from
    these models): a request the schema allows is one the API accepts. `extra` may be a callable,
    so a code table is read only when a schema is built."""

    extra: Any
    replace: bool = False  # the whole schema, not added keys
    output: dict[str, Any] | None = None  # the schema of the answer, when it differs (decimals: strings)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        if self.output is not None and handler.mode == "serialization":
            return dict(self.output)
        extra = self.extra() if callable(self.extra) else self.extra
        if self.replace:
            return dict(extra)
        out = handler(schema)
        out.update(extra)
        return out


def _code_in(table_name: str):
    def check(value: str) -> str:
        stored = codes.normalize(table_name, value)
        if stored is None:
            raise PydanticCustomError("code_table", "not in code table {table}", {"table": table_name, "value": value})
        return stored

    return AfterValidator(check)


def _code_hint(table_name: str) -> SchemaHint:
    # the stored codes and the older numeric ones the validator also takes
    def schema() -> dict[str, Any]:
        values = sorted({*codes.table(table_name), *codes.numeric_codes(table_name)})
        if len({v.upper() for v in values}) < len(values) and all(len(v) == 1 for v in values):
            # one character whose case tells codes apart (监管证件代码: a ≠ A): generated clients name
            # enum members in upper case and clash, so the same set as a character class
            return {"pattern": "^[" + "".join(re.escape(v) for v in values) + "]$"}
        return {"enum": values}

    return SchemaHint(schema)


def Code(table_name: str):  # noqa: N802 - reads as a type
    return Annotated[Str, _code_in(table_name), _code_hint(table_name)]


def _check_uscc(value: str) -> str:
    value = value.strip().upper()
    try:
        return stdnum_uscc.validate(value)
    except StdnumError as exc:
        raise PydanticCustomError(
            "uscc", "invalid unified social credit code: {reason}", {"reason": type(exc).__name__}
        ) from exc


def _pattern(regex: str, what: str):
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError("form", "must be {what}", {"what": what})
        return value

    return AfterValidator(check)


def _pattern_hint(regex: str) -> SchemaHint:
    return SchemaHint({"pattern": f"^{regex}$"})


# The validation context of what arrives (imports, edits, configs): text_rules apply. Without it
# (a stored record read back) they do not, so a declaration stored before a rule still reads.
STRICT = {"strict_input": True}


def _strict(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("strict_input"))


def _refused(kind: str, reason: tuple[str, str] | None) -> None:
    if reason is not None:
        raise PydanticCustomError(kind, "{en}", {"zh": reason[0], "en": reason[1]})


def visible_text(lines: bool = False):
    def check(value: str, info: ValidationInfo) -> str:
        if _strict(info):
            _refused("hidden_character", text_rules.hidden_character(value, lines=lines))
        return value

    return AfterValidator(check)


def _plausible(value: date, info: ValidationInfo) -> date:
    if _strict(info):
        _refused("implausible_date", text_rules.implausible_date(value))
    return value


Str = Annotated[str, StringConstraints(strip_whitespace=True), visible_text()]
# 进出口日期, 启运日期, 卸毕日期: within customs' plausible range (text_rules)
CustomsDate = Annotated[date, AfterValidator(_plausible), SchemaHint({"pattern": text_rules.DATE_PATTERN})]
EntCode = Annotated[Str, _pattern(r"[0-9A-Z]{10}", "ent_code"), _pattern_hint(r"[0-9A-Z]{10}")]
# the form only: the check character is computed (GB 32100), beyond what a pattern can say
USCC_FORM = r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}"
Uscc = Annotated[Str, AfterValidator(_check_uscc), SchemaHint({"pattern": f"^{USCC_FORM}$", "format": "uscc"})]
CustomsCode = Annotated[Str, _pattern(r"[0-9]{4}", "customs_code"), _pattern_hint(r"[0-9]{4}")]
# 关区代码 on the form: four digits under a directly governed customs the table knows (domain/codes.py)
CustomsOffice = Annotated[CustomsCode, _code_in("customs_office")]
HsCode = Annotated[Str, _pattern(r"[0-9]{10}", "hs_code"), _pattern_hint(r"[0-9]{10}")]
SeqNo = Annotated[Str, _pattern(SEQ_NO_RE.pattern[1:-1], "seq_no"), _pattern_hint(SEQ_NO_RE.pattern[1:-1])]


_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def _plain_decimal(value: Any, info: ValidationInfo) -> Any:
    # The contract sends decimals as strings: a JSON float may already have lost digits.
    if isinstance(value, float):
        raise PydanticCustomError("decimal_as_string", "decimals travel as strings")
    # Python's Decimal() reads any script's digits ("٣" is 3); customs takes ASCII digits only.
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value.strip()):
        raise PydanticCustomError("decimal_form", "must be a decimal number in ASCII digits")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PydanticCustomError("decimal_form", "must be a decimal number in ASCII digits")
    if isinstance(value, str) and _strict(info) and not text_rules.plain_decimal(value):
        _refused("decimal_plain", text_rules.DECIMAL_REASON)  # "1e5" would be stored as 1E+5
    return value


def _decimal_hint(max_digits: int, places: int, positive: bool) -> SchemaHint:
    # A string of ASCII digits within the message's precision (or a whole number): what the
    # validator takes. Positive: at least one non-zero digit ("0.10" is left out, so the pattern stays simple).
    whole = max_digits - places
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    if positive:
        tiny = rf"|0\.[0-9]{{0,{places - 1}}}[1-9]" if places else ""
        text = rf"^([1-9][0-9]{{0,{whole - 1}}}{fraction}{tiny})$"
    else:
        text = rf"^[0-9]{{1,{whole}}}{fraction}$"
    number = {"type": "integer", "minimum": 1 if positive else 0, "maximum": 10**whole - 1}
    return SchemaHint(
        {"anyOf": [{"type": "string", "pattern": text}, number]},
        replace=True,
        output={"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
    )


def Dec(max_digits: int, places: int, positive: bool = True):  # noqa: N802 - reads as a type
    return Annotated[
        Decimal,
        BeforeValidator(_plain_decimal),
        PlainSerializer(text_rules.decimal_text, return_type=str, when_used="json"),  # never "1E+5"
        Field(
            gt=0 if positive else None,
            ge=None if positive else 0,
            max_digits=max_digits,
            decimal_places=places,
            allow_inf_nan=False,
        ),
        _decimal_hint(max_digits, places, positive),
    ]


def Text(max_len: int, lines: bool = False):  # noqa: N802
    """Free text of at most `max_len` characters, none hidden (text_rules); `lines`: a text area of
    the form, where tabs and line breaks are taken."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_len),
        visible_text(lines),
        SchemaHint({"pattern": text_rules.VISIBLE_LINES if lines else text_rules.VISIBLE_TEXT}),
    ]


# surrounding spaces are stripped: blank is empty; and no hidden character either
NON_BLANK = SchemaHint({"pattern": text_rules.VISIBLE_NON_BLANK})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Party(_Model):
    """An enterprise on the form: 10-digit customs code and/or 18-char USCC, and a name."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["code"], "properties": {"code": {"type": "string"}}},
                {"required": ["uscc"], "properties": {"uscc": {"type": "string"}}},
            ]
        }
    )

    code: EntCode | None = None
    uscc: Uscc | None = None
    name: Text(70) | None = None

    @model_validator(mode="after")
    def _code_or_uscc(self) -> Party:
        if not self.code and not self.uscc:
            raise PydanticCustomError("party_id", "code or uscc is required")
        return self


class OverseasConsignor(_Model):
    """境外收发货人 on an import (境外发货人): a code where the country has one (AEO or enterprise code)."""

    code: Text(50) | None = None
    name: Text(150) | None = None
    name_en: Text(100) | None = None
    address: Text(100) | None = None


class OverseasConsignee(_Model):
    """境外收货人 on an export."""

    code: Text(50) | None = None
    name_en: Text(400) | None = None


class Fee(_Model):
    """Freight, insurance or incidental charges: mark 1 rate, 2 unit price, 3 total."""

    mark: Literal["1", "2", "3"]
    rate: Dec(19, 5)
    currency: Code("currency") | None = None


class PriceStatements(_Model):
    """其他事项确认 (PromiseItmes): yes, no, or null where it does not apply."""

    special_relationship: StrictBool | None = None  # 特殊关系确认
    price_influence: StrictBool | None = None  # 价格影响确认
    royalty_payment: StrictBool | None = None  # 与货物有关的特许权使用费支付确认
    formula_pricing: StrictBool | None = None  # 公式定价确认
    provisional_price: StrictBool | None = None  # 暂定价格确认


class SpecialBusiness(_Model):
    """特殊业务标识 and 特殊通过模式 (SpecDeclFlag)."""

    international_event: StrictBool = False  # 国际赛事
    military_goods: StrictBool = False  # 特殊进出军工物资
    aid_goods: StrictBool = False  # 国际援助物资
    international_meeting: StrictBool = False  # 国际会议
    direct_release: StrictBool = False  # 直通放行
    diplomatic: StrictBool = False  # 外交礼遇
    transit: StrictBool = False  # 转关


class LicenceVin(_Model):
    """One vehicle a goods item's licence covers (许可证VIN信息, DecGoodsLimitVin): the message repeats
    its licence's LicTypeCode and LicenceNo, which the writer takes from the licence."""

    vin_no: Text(100) | None = None  # VIN序号
    bill_lad_date: CustomsDate | None = None  # 提/运单日期
    quality_qgp: Text(100) | None = None  # 质量保质期
    motor_no: Text(100) | None = None  # 发动机号或电机号
    vin_code: Annotated[Text(20), NON_BLANK] = Field(min_length=1)  # 车辆识别代码: what the block is for
    # 底盘(车架)号: one public field list says 10 characters; a frame number in VIN form has 17
    chassis_no: Text(20) | None = None
    invoice_num: Dec(19, 5) | None = None  # 发票所列数量
    prod_cnnm: Text(500) | None = None  # 品名(中文名称)
    prod_ennm: Text(500) | None = None  # 品名(英文名称)
    model_en: Text(500) | None = None  # 型号(英文)
    price_per_unit: Dec(19, 4) | None = None  # 单价
    invoice_no: Text(30) | None = None  # 发票号


class GoodsLicence(_Model):
    """A licence a goods item is declared under (产品资质, DecGoodsLimit)."""

    lic_type_code: Annotated[Text(5), NON_BLANK] = Field(min_length=1)
    licence_no: Annotated[Text(40), NON_BLANK] = Field(min_length=1)
    lic_wrtof_detail_no: Text(4) | None = None
    lic_wrtof_qty: Dec(19, 5) | None = None
    lic_wrtof_qty_unit: Code("unit") | None = None
    vins: list[LicenceVin] = Field(default_factory=list, max_length=999)


Flag = Literal["0", "1"]
PortCode = Annotated[Str, _pattern(r"[A-Z]{3}[0-9A-Z]{3}", "port"), _pattern_hint(r"[A-Z]{3}[0-9A-Z]{3}")]
DomesticPort = Annotated[Str, _pattern(r"[0-9]{6}", "domestic_port"), _pattern_hint(r"[0-9]{6}")]
DistrictCode = Annotated[Str, _pattern(r"[0-9A-Z]{5}", "district"), _pattern_hint(r"[0-9A-Z]{5}")]


class GoodsItem(_Model):
    g_no: StrictInt = Field(ge=1, le=MAX_GOODS)
    code_ts: HsCode
    ciq_code: Text(20) | None = None
    g_name: Annotated[Text(255), NON_BLANK] = Field(min_length=1)
    g_name_en: Text(100) | None = None
    g_model: Text(255) = ""
    qty: Dec(19, 5)
    unit: Code("unit")
    first_qty: Dec(19, 5) | None = None
    first_unit: Code("unit") | None = None
    second_qty: Dec(19, 5) | None = None
    second_unit: Code("unit") | None = None
    decl_price: Dec(19, 4)
    decl_total: Dec(17, 2)
    currency: Code("currency")
    origin_country: Code("country")
    orig_place_code: Text(50) | None = None
    destination_country: Code("country")
    district_code: DistrictCode | None = None
    dest_code: Text(8) | None = None
    duty_mode: Code("duty_mode") = "1"
    contr_item: StrictInt | None = Field(default=None, ge=1, le=999_999_999)
    exg_no: Text(30) | None = None
    exg_version: StrictInt | None = Field(default=None, ge=0, le=99_999_999)
    use_to: Text(2) | None = None
    work_usd: Dec(19, 4) | None = None
    purpose: Text(4) | None = None
    goods_attr: Text(20) | None = None
    goods_spec: Text(2000) | None = None
    goods_model: Text(2000) | None = None
    goods_brand: Text(2000) | None = None
    produce_date: Text(2000) | None = None
    prod_batch_no: Text(2000) | None = None
    prod_valid_dt: Text(20) | None = None
    prod_qgp: Text(20) | None = None
    stuff: Text(400) | None = None
    eng_man_ent_cnm: Text(100) | None = None
    mnufctr_reg_no: Text(20) | None = None
    mnufctr_reg_name: Text(150) | None = None
    ciq_name: Text(50) | None = None
    no_dang_flag: Flag | None = None
    uncode: Text(20) | None = None
    dang_name: Text(80) | None = None
    dang_pack_type: Text(4) | None = None
    dang_pack_spec: Text(24) | None = None
    licences: list[GoodsLicence] = Field(default_factory=list, max_length=99)


class Container(_Model):
    container_id: Annotated[Text(32), NON_BLANK] = Field(min_length=1)
    container_md: Text(10) | None = None
    goods_no: Text(255) | None = None
    lcl_flag: Literal["0", "1"] | None = None
    container_wt: Dec(17, 5) | None = None


class Document(_Model):
    edoc_code: Code("edoc_code")
    edoc_no: Annotated[Text(64), NON_BLANK] = Field(min_length=1)


class LicenceDocument(_Model):
    """A licence or permit of the whole declaration (随附单证 in the form: 监管证件, DecLicenseDocus)."""

    docu_code: Code("licence_document")
    cert_code: Annotated[Text(32), NON_BLANK] = Field(min_length=1)


class RequestedCertificate(_Model):
    """A certificate the declarant asks customs to issue (所需单证, DecRequestCert)."""

    app_cert_code: Annotated[Text(50), NON_BLANK] = Field(min_length=1)
    originals: StrictInt | None = Field(default=None, ge=0, le=99)
    copies: StrictInt | None = Field(default=None, ge=0, le=99)


class OtherPack(_Model):
    """A further packing material besides wrap_type (其他包装, DecOtherPack)."""

    pack_type: Code("wrap_type")
    pack_qty: Dec(19, 5) | None = None


DeclarationType = Literal["general", "with_list", "paperless", "list_paperless", "paperless_clearance"]


class DeclarationContent(_Model):
    """What a broker fills in: head, goods, containers, documents. No state."""

    # _consistent below, as far as a schema can say it (g_no running 1, 2, 3 … it cannot)
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"ie_flag": {"const": flag}}},
                    "then": {
                        "properties": {
                            "seq_no": {"anyOf": [{"type": "string", "pattern": f"^{flag}"}, {"type": "null"}]},
                            "source_seq_no": {"anyOf": [{"type": "string", "pattern": f"^{flag}"}, {"type": "null"}]},
                        }
                    },
                }
                for flag in ("I", "E")
            ]
        }
    )

    seq_no: SeqNo | None = None  # on import: the sender's number, kept as source_seq_no; stored: ours
    source_seq_no: SeqNo | None = None  # the sending software's own number, unique per enterprise
    ie_flag: Literal["I", "E"]
    declaration_type: DeclarationType = "general"
    # Strict: "true" or 1 is not a boolean, true is not a number (issue #9).
    two_step: StrictBool = False
    self_pay: StrictBool = False
    summarized_tax: StrictBool = False
    declare_customs: CustomsOffice
    ie_port: CustomsOffice
    ie_date: CustomsDate | None = None
    manual_no: Text(12) | None = None  # 备案号: the processing-trade manual or exemption record
    contr_no: Text(32) | None = None
    license_no: Text(20) | None = None
    appr_no: Text(32) | None = None
    decl_trn_rel: Flag = "0"  # 0 an ordinary declaration, 1 a transit declared ahead
    bill_type: Literal["1", "2", "3", "4"] | None = None  # 备案清单类型 (free-trade and bonded zones)
    chk_surety: Flag | None = None
    check_flow: Flag | None = None
    tax_aamin_mark: Flag | None = None
    agent: Party
    consignee: Party
    owner: Party | None = None
    # The parties' 10-character codes since inspection merged into customs (检验检疫编码), and the
    # consignee's foreign name: beside the parties, as the message has them, so that a party stays
    # the enterprise's identity (code, credit code, name) everywhere (tenancy, configs, agreements).
    agent_ciq_code: Text(10) | None = None
    consignee_ciq_code: Text(10) | None = None
    consignee_name_en: Text(400) | None = None
    owner_ciq_code: Text(10) | None = None
    overseas_consignor: OverseasConsignor | None = None
    overseas_consignee: OverseasConsignee | None = None
    bill_no: Text(50) | None = None
    bl_no: Text(50) | None = None
    transport_mode: Code("transport_mode")
    traf_name: Text(100) | None = None
    voyage_no: Text(32) | None = None
    distinate_port: PortCode | None = None  # 经停港 (import) / 指运港 (export)
    desp_port: PortCode | None = None  # 启运港 (import) / 离境口岸 (export)
    enty_port: DomesticPort | None = None  # 入境口岸 (import) / 离境口岸 (export)
    goods_place: Text(100) | None = None
    desp_date: CustomsDate | None = None
    cmpl_dschrg_dt: CustomsDate | None = None
    trade_mode: Code("trade_mode")
    cut_mode: Code("cut_mode") | None = None
    trans_mode: Code("trans_mode")
    trade_country: Code("country")
    depart_country: Code("country") | None = None
    price_statements: PriceStatements | None = None
    special_business: SpecialBusiness | None = None
    freight: Fee | None = None
    insurance: Fee | None = None
    other_fee: Fee | None = None
    pack_no: StrictInt = Field(ge=1, le=99_999_999)
    wrap_type: Code("wrap_type")
    no_other_pack: Flag | None = None
    gross_wt: Dec(17, 5)
    net_wt: Dec(17, 5)
    mark_no: Text(400, lines=True) | None = None  # 标记唛码 and 备注: the form's text areas
    note: Text(500, lines=True) = ""
    # The inspection organs (检验检疫受理机关, 领证机关, 口岸检验检疫机关, 目的地海关): customs offices
    # since inspection merged into customs; public field lists mark all but PurpOrgCode as no longer
    # used, but the Single Window's template still has their cells, so a broker's value is carried.
    org_code: CustomsOffice | None = None
    vsa_org_code: CustomsOffice | None = None
    insp_org_code: CustomsOffice | None = None
    purp_org_code: CustomsOffice | None = None
    orig_box_flag: Flag | None = None
    correlation_no: Text(500) | None = None
    correlation_reason: Text(2) | None = None
    rel_id: Text(18) | None = None
    rel_man_no: Text(12) | None = None
    bon_no: Text(32) | None = None
    cus_fie: Text(8) | None = None
    goods: list[GoodsItem] = Field(min_length=1, max_length=MAX_GOODS)
    containers: list[Container] = Field(default_factory=list, max_length=999)
    documents: list[Document] = Field(default_factory=list, max_length=99)
    licence_documents: list[LicenceDocument] = Field(default_factory=list, max_length=99)
    requested_certificates: list[RequestedCertificate] = Field(default_factory=list, max_length=99)
    other_packs: list[OtherPack] = Field(default_factory=list, max_length=99)

    @model_validator(mode="after")
    def _consistent(self) -> DeclarationContent:
        for number in (self.seq_no, self.source_seq_no):
            if number and number[0] != self.ie_flag:
                raise PydanticCustomError("seq_no_flag", "seq_no must start with ie_flag")
        numbers = [g.g_no for g in self.goods]
        if numbers != list(range(1, len(numbers) + 1)):
            raise PydanticCustomError("g_no_sequence", "goods g_no must run 1, 2, 3 … without gaps")
        return self

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def leaf_paths(model: type[BaseModel] = DeclarationContent, prefix: str = "") -> list[str]:
    """Every leaf field of the content in the model's own order ("agent.code", "goods[].code_ts"):
    the order of the form and of our workbook's columns; the field table holds the same paths."""
    paths: list[str] = []
    for name, info in model.model_fields.items():
        inner, is_list = _unwrap(info.annotation)
        path = f"{prefix}{name}{'[]' if is_list else ''}"
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += leaf_paths(inner, path + ".")
        else:
            paths.append(path)
    return paths


def is_required(path: str) -> bool:
    """Whether a content without this leaf is refused: it and every field above it are required
    ("goods[].code_ts" yes; "freight.mark" no, freight itself is optional)."""
    model: Any = DeclarationContent
    for name in path.replace("[]", "").split("."):
        info = model.model_fields[name]
        if not info.is_required():
            return False
        model = _unwrap(info.annotation)[0]
    return True


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The model or type inside `X | None` and `list[X]`, and whether it was a list."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is list:
        return _unwrap(args[0])[0], True
    if len(args) == 1 and get_origin(annotation) is not Annotated:
        return _unwrap(args[0])
    return annotation, False


# ---- bilingual messages for pydantic error types ------------------------------------------

# Chinese label of every canonical field path a file can fill (row 1 of the Excel template, and the
# label in read-error messages): from the field table.
FIELD_LABELS: dict[str, str] = declaration_fields.labels_zh()

# The label of a field name in a validation message: the file's label where the field is a
# column of its own, otherwise the group or the setting it names.
_FIELD_ZH = {path: zh for path, zh in FIELD_LABELS.items() if "." not in path} | {
    "entry_id": "海关编号",
    "agent": "申报单位",
    "consignee": "境内收发货人",
    "owner": "消费使用/生产销售单位",
    "freight": "运费",
    "insurance": "保费",
    "goods": "商品",
    "containers": "集装箱",
    "documents": "随附单证",
    "code": "海关10位编码",
    "uscc": "统一社会信用代码",
    "name": "名称",
    "mark": "标记",
    "rate": "费率/金额",
    "operator_cards": "操作员卡号",
    "batch_wait_seconds": "统计时配置",
    "effective_by": "生效方式",
    "enabled": "启用标志",
    "from": "开始时间",
    "to": "结束时间",
    "range": "快捷时间",
    "page_size": "每页条数",
    "smart_status": "智能申报状态",
    "status": "报关单状态",
}

_FORMS = {
    "ent_code": ("10位海关编码(数字或大写字母)", "a 10-character customs enterprise code"),
    "customs_code": ("4位数字关区代码", "a 4-digit customs code"),
    "hs_code": ("10位数字商品编号", "a 10-digit HS code"),
    "seq_no": ("18位统一编号(I/E+17位数字)", "an 18-character seq_no: I or E and 17 digits"),
    "port": ("6位港口代码(3位国别字母+3位)", "a 6-character port code (country letters + 3)"),
    "domestic_port": ("6位国内口岸代码", "a 6-digit domestic port code"),
    "district": ("5位国内地区代码", "a 5-character domestic district code"),
}


_CUSTOM = {
    "party_id": ("海关10位编码与统一社会信用代码至少填写一项", "needs a code or a uscc"),
    "seq_no_flag": ("统一编号首字母须与进出口标志一致", "seq_no must start with the ie_flag"),
    "g_no_sequence": ("商品序号须从1开始连续编号", "goods g_no must run 1, 2, 3 … without gaps"),
    "config_agent": ("按企业生效时须填写申报单位", "agent is required when effective_by is enterprise"),
    "config_cards": ("按用户生效时须填写操作员卡号", "operator_cards is required when effective_by is user"),
    "config_cards_dup": ("操作员卡号重复", "operator_cards has duplicates"),
    "decimal_form": (
        '须为以ASCII数字(0-9)书写的数值，如 "12.5"',
        'must be a decimal in ASCII digits (0-9), e.g. "12.5"',
    ),
    "decimal_as_string": ('须以字符串传递数值，如 "12.5"', 'decimals must be sent as strings, e.g. "12.5"'),
}

_USCC_REASONS = {
    "InvalidChecksum": ("校验码不正确", "has a wrong check character"),
    "InvalidLength": ("须为18位", "must be 18 characters"),
    "InvalidFormat": ("格式不正确", "is not in the USCC format"),
    "InvalidComponent": ("含有不合法的登记管理部门或机构类别代码", "has an invalid registration or kind code"),
}


def field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith(("function-", "constrained-")):
            path += f".{part}" if path else str(part)
    return path


def _reason(err: ErrorDetails) -> tuple[str, str]:
    t, ctx, inp = err["type"], err.get("ctx") or {}, err.get("input")
    if t == "missing":
        return "必填", "is required"
    if t == "extra_forbidden":
        return "不是可接受的字段", "is not a known field"
    if t == "code_table":
        zh, en = codes.TABLE_LABELS[ctx["table"]]
        return f"“{ctx['value']}”不在{zh}代码表中", f"'{ctx['value']}' is not a {en} code"
    if t == "uscc":
        return _USCC_REASONS.get(ctx.get("reason", ""), _USCC_REASONS["InvalidFormat"])
    if t == "form":
        return _FORMS.get(ctx["what"], (ctx["what"], ctx["what"]))[0] + "格式不正确", "must be " + _FORMS.get(
            ctx["what"], (ctx["what"], ctx["what"])
        )[1]
    if t in _CUSTOM:
        return _CUSTOM[t]
    if "zh" in ctx and "en" in ctx:  # text_rules' reasons
        return ctx["zh"], ctx["en"]
    if t in ("string_too_long",):
        return f"长度不能超过{ctx['max_length']}", f"must be at most {ctx['max_length']} characters"
    if t in ("string_too_short", "too_short"):
        return "不能为空", "must not be empty"
    if t == "too_long":
        return f"最多{ctx.get('max_length')}项", f"must have at most {ctx.get('max_length')} items"
    if t in ("greater_than", "greater_than_equal"):
        return "必须为正数", "must be positive"
    if t == "less_than_equal":
        return f"不能大于{ctx['le']}", f"must be at most {ctx['le']}"
    if t == "decimal_max_places":
        return f"小数位不能超过{ctx['decimal_places']}位", f"must have at most {ctx['decimal_places']} decimal places"
    if t in ("decimal_max_digits", "decimal_whole_digits"):
        return "数值位数超出报文精度", "has more digits than the customs message allows"
    if t.startswith(("decimal", "float")):
        return "须为数值(以字符串传递)", "must be a decimal number (sent as a string)"
    if t.startswith("int"):
        return "须为整数", "must be a whole number"
    if t.startswith("bool"):
        return "须为 true 或 false", "must be true or false"
    if t.startswith("date"):
        return "须为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"
    if t == "literal_error":
        return f"取值须为 {ctx.get('expected')}", f"must be one of {ctx.get('expected')}"
    if t.startswith(("string", "model", "dict", "list")):
        return "类型不正确", f"has the wrong type ({type(inp).__name__})"
    return err.get("msg", t), err.get("msg", t)


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False):
        path = field_path(err["loc"])
        full = f"{prefix}.{path}" if prefix and path else (prefix or path)
        leaf = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str) and p in _FIELD_ZH), "")
        zh, en = _reason(err)
        label = f"{_FIELD_ZH.get(leaf, leaf)}({full})" if full else "记录"
        out.append(FieldError(full or "(record)", f"{label}{zh}", f"{full or 'record'} {en}"))
    return out


def parse_content(raw: Any) -> tuple[DeclarationContent | None, list[FieldError]]:
    """Validate one raw declaration: the content, or every reason it was refused."""
    if not isinstance(raw, dict):
        return None, [FieldError("(record)", "每条报关单须为JSON对象", "each declaration must be a JSON object")]
    try:
        return DeclarationContent.model_validate(raw, context=STRICT), []
    except ValidationError as exc:
        return None, field_errors(exc)


# ---- the record: content + state ----------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """A stored declaration: the broker's content plus everything this service tracks."""

    content: DeclarationContent
    seq_no: str
    owner_ent: str  # the enterprise that imported it (its customs code): the only one that sees and runs it
    created_by: str  # operator card that created it
    created_at: datetime
    updated_at: datetime
    status: DeclarationStatus = DeclarationStatus.TEMP_SAVED
    entry_id: str | None = None
    smart_mark: bool = False
    marked_by: str | None = None
    marked_at: datetime | None = None
    smart_status: str = "pending"
    waiting_reason: str | None = None
    tax_status: TaxStatus = TaxStatus.NOT_REQUIRED
    batch_no: str | None = None
    config_id: str | None = None
    config_name: str | None = None
    card_no: str | None = None  # the card of the latest operation (操作员卡号 column)
    execution_id: str | None = None  # the execution whose batch holds (or last held) it
    claim_deadline: datetime | None = None  # in progress past this: the scheduler releases it
    sending_until: datetime | None = None  # a submission holds it until then (lifecycle.start_sending)
    reason_zh: str | None = None  # why it waits or failed, for people
    reason_en: str | None = None
    advisories_confirmed: str | None = None  # fingerprint of the prompts a person confirmed
    customs_seq_no: str | None = None  # customs' answer on acceptance
    declared_at: datetime | None = None  # when customs accepted it: the receipt watchdog counts from here
    receipt_channel: str | None = None  # the latest customs receipt's CHANNEL
    receipt_overdue_at: datetime | None = None  # the watchdog flagged it: declared, no receipt in time
    # waiting: no batch takes it again before this, unless what it waits for changes (lifecycle.wait)
    recheck_at: datetime | None = None
    tax_confirmation: dict[str, Any] | None = None  # {by, at, payable, fingerprint} once confirmed
    # with the Single Window client (exchange channel): queued | written | sent, until customs' answer
    handover: str | None = None
    send_no: int | None = None  # its latest send to the client (domain/exchange.Send)
    version: int = 1
    owner_side: str | None = None  # agent, consignee or both: where owner_ent stands on the form
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ie_flag(self) -> str:
        return self.content.ie_flag

    def with_changes(self, **changes: Any) -> Declaration:
        return replace(self, **changes)

    def parties(self) -> tuple[Party, Party]:
        return self.content.agent, self.content.consignee

    @property
    def owner_sides(self) -> tuple[str, ...]:
        """The sides of the form the owner was verified on: the tenancy keys of lists and the pool."""
        if self.owner_side == "both":
            return ("agent", "consignee")
        if self.owner_side in ("agent", "consignee"):
            return (self.owner_side,)
        # stored before #9 (no owner_side): the sides that carry the owner's customs code
        return tuple(
            side
            for side, party in zip(("agent", "consignee"), self.parties(), strict=False)
            if party.code == self.owner_ent
        )

    @property
    def status_label(self) -> str | None:
        return STATUS_LABELS.get(str(self.status))

    @property
    def smart_status_label(self) -> str | None:
        return SMART_STATUS_LABELS.get(self.smart_status)

    @property
    def handover_label(self) -> str | None:
        words = HANDOVER_WORDS.get(self.handover) if self.handover else None
        return words[0] if words else None

    @property
    def links(self) -> dict[str, str | None]:
        return {
            "log": f"/declarations/{self.seq_no}/log",
            "batch": f"/batches/{self.batch_no}" if self.batch_no else None,
        }

    def as_json(self) -> dict[str, Any]:
        """The API's answer: the content, then every state field of `DeclarationView` (the one list)."""
        body = self.content.as_json()
        for name in VIEW_STATE_FIELDS:
            value = getattr(self, name)
            body[name] = (
                iso(value) if isinstance(value, datetime) else str(value) if isinstance(value, StrEnum) else value
            )
        return body


Timestamp = Annotated[str, SchemaHint({"format": "date-time"})]


class Links(BaseModel):
    model_config = ConfigDict(extra="forbid")

    log: str
    batch: str | None


class DeclarationView(DeclarationContent):
    """A declaration as the API answers it: the content and what this service tracks. The state
    fields listed here are the ones `Declaration.as_json` shows, in this order."""

    seq_no: str
    entry_id: str | None
    status: DeclarationStatus
    status_label: str | None
    smart_mark: bool
    marked_by: str | None
    marked_at: Timestamp | None
    smart_status: str
    waiting_reason: str | None
    tax_status: TaxStatus
    batch_no: str | None
    config_name: str | None
    created_by: str
    card_no: str | None
    reason_zh: str | None
    reason_en: str | None
    smart_status_label: str | None
    customs_seq_no: str | None
    declared_at: Timestamp | None
    receipt_channel: str | None
    receipt_overdue_at: Timestamp | None
    handover: Literal["queued", "written", "sent"] | None = Field(
        description="with the Single Window client (exchange channel) until customs answers: queued (waiting "
        "for the agent), written (in the client's OutBox), sent (the client sent it)"
    )
    handover_label: str | None
    send_no: int | None = Field(description="the latest send of this declaration to the Single Window client")
    links: Links
    created_at: Timestamp
    updated_at: Timestamp


VIEW_STATE_FIELDS = tuple(
    name for name in DeclarationView.model_fields if name not in DeclarationContent.model_fields or name == "seq_no"
)


def initial_tax_status(content: DeclarationContent) -> TaxStatus:
    # 自报自缴 declarations need a tax confirmation before they may be declared.
    return TaxStatus.UNCONFIRMED if content.self_pay else TaxStatus.NOT_REQUIRED
