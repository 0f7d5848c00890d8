"""Every field of a declaration, defined once: the ordered field table.

One `FieldSpec` per leaf of `DeclarationContent` (`consignee.uscc`, `goods[].code_ts`), in the order
the customs message (DecMessage) carries them. The pydantic model keeps the types; everything else
about a field is here, and the rest is derived from it: the labels of validation messages and files
(`declaration.FIELD_LABELS`), the DecMessage reader's mapping and the writer's values, our Excel
workbook's columns (`formats/excel_workbook.py`), the field catalogue the console reads
(`GET /declaration-fields`) and the field reference `docs/fields.md` (scripts/generate_field_docs.py).
tests/unit/test_declaration_fields.py holds the table, the model and every format together.

Adding a plain field: one `FieldSpec` line here and its pydantic type in `declaration.py`.

Sources of the facts (tags, the Single Window template's labels): shared/examples/declaration-fields.md,
the DecMessage field descriptions public customs software carries, and the Single Window's
"货物申报导入模板" (main sheet 基本信息&商品信息). docs/fields.md names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# How a file's value becomes the field's value (formats/ maps each kind to its converters):
#   text      kept as given (trimmed)
#   upper     text, upper-cased (enterprise codes, container numbers)
#   code      a code: XML text upper-cased; a number cell is zero-padded to `width` (trade_mode 110 → 0110)
#   table     a code of `code_table` whose older numeric customs codes become letters (502 → USD / USA)
#   uscc      a unified social credit code: text only (a number cell has lost digits)
#   dec       a decimal, written as plain text without trailing zeros
#   int       a whole number
#   date      a date (yyyyMMdd in the message, YYYY-MM-DD in JSON)
#   bool      a yes/no (not in the message)
#   entry_type  declaration_type from the EntryType code (0/L/W/D/M) or its JSON name
#   ie_flag   I/E, also 进口/出口 in a workbook
KINDS = ("text", "upper", "code", "table", "uscc", "dec", "int", "date", "bool", "entry_type", "ie_flag")

# The message blocks, by the list a path belongs to.
HEAD, GOODS, CONTAINER, DOCUMENT = "DecHead", "DecList", "Container", "EdocRealation"
FREE_TEXT, GOODS_LICENCE, LICENCE_DOCUMENT = "DecFreeTxt", "DecGoodsLimit", "LicenseDocu"
LICENCE_VIN = "DecGoodsLimitVin"
REQUESTED_CERTIFICATE, OTHER_PACK = "DecRequestCert", "DecOtherPack"
LIST_BLOCKS = {
    "": HEAD,
    "goods": GOODS,
    "goods[].licences": GOODS_LICENCE,
    "goods[].licences[].vins": LICENCE_VIN,
    "containers": CONTAINER,
    "licence_documents": LICENCE_DOCUMENT,
    "requested_certificates": REQUESTED_CERTIFICATE,
    "other_packs": OTHER_PACK,
    "documents": DOCUMENT,
}


@dataclass(frozen=True)
class Group:
    """A section of the declaration form, as the Single Window's 录入 form groups its fields."""

    key: str
    label_zh: str
    label_en: str


GROUPS: tuple[Group, ...] = (
    Group("basic", "基本信息", "Basic information"),
    Group("parties", "收发货人", "Parties"),
    Group("transport", "运输", "Transport"),
    Group("trade", "贸易", "Trade"),
    Group("fees", "费用", "Charges"),
    Group("packing", "包装", "Packing and weight"),
    Group("inspection", "检验检疫", "Inspection"),
    Group("goods", "商品", "Goods"),
    Group("licences", "许可证", "Licences"),
    Group("containers", "集装箱", "Containers"),
    Group("documents", "随附单证", "Attached documents"),
    Group("requested_certificates", "所需单证", "Certificates asked for"),
)


@dataclass(frozen=True)
class FieldSpec:
    """One leaf field: where it lives in the JSON contract, the message, the files and the form."""

    path: str  # JSON path; list items as "goods[].code_ts"
    tag: str | None  # DecMessage 4.x element; None: the message does not carry it
    label_zh: str
    label_en: str
    group: str  # a Group key
    kind: str = "text"  # see KINDS
    width: int = 0  # code: a number cell is zero-padded to this many digits
    code_table: str | None = None  # chalicelib/domain/data/codes/<name>.json
    sw_label: str | None = None  # the Single Window 货物申报导入模板's label for it, where it has one
    workbook: bool = True  # a column of our workbook (docs/excel-template.md)
    block: str | None = None  # the message block, when not the one of its list (DecFreeTxt)
    # Why the readers and the writer handle this field by hand instead of by the table (the tag is
    # shared with another field, or depends on ie_flag); None: read and written from this line alone.
    in_code: str | None = None
    tag_31: str | None = None  # the 3.1 message's tag, where it differs
    since: str = "3.1"  # the first message version that carries it ("3.1" or "4.x")
    aliases: tuple[str, ...] = ()  # other tags readers accept (spellings real files use)

    @property
    def list(self) -> str:
        """The list the field belongs to ("goods", "goods[].licences"), "" for the head."""
        return self.path.rsplit("[].", 1)[0] if "[]." in self.path else ""

    @property
    def leaf(self) -> str:
        """The path inside its list item ("code_ts"), the head path itself ("agent.code")."""
        return self.path.rsplit("[].", 1)[-1]

    @property
    def message_block(self) -> str | None:
        if self.tag is None:
            return None
        return self.block or LIST_BLOCKS[self.list]

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag a reader looks for, in order."""
        found = [t for t in (self.tag, self.tag_31, *self.aliases) if t]
        return tuple(dict.fromkeys(found))


def _f(path: str, tag: str | None, zh: str, en: str, group: str, kind: str = "text", **more: object) -> FieldSpec:
    return FieldSpec(path, tag, zh, en, group, kind, **more)  # type: ignore[arg-type]


# In DecMessage order: DecHead in the order of its schema, then DecList, DecContainers, DecFreeTxt,
# EdocRealation; the fields no message carries last. The writer's element order is the schema's
# (formats/dec_message_writer.py); a test holds this table to it. One line per field.
# fmt: off
FIELDS: tuple[FieldSpec, ...] = (
    # ---- DecHead
    _f("seq_no", "SeqNo", "统一编号", "Seq no.", "basic", "code", in_code="SeqNo, else DecSign/ClientSeqNo, in our form only"),
    _f("ie_flag", "IEFlag", "进出口标志", "Import/export", "basic", "ie_flag", sw_label="进出口标识"),
    _f("agent.code", "AgentCode", "申报单位海关编码", "Declaring unit customs code", "parties", "code", width=10),
    _f("agent.name", "AgentName", "申报单位名称", "Declaring unit name", "parties", sw_label="申报单位名称"),
    _f("appr_no", "ApprNo", "批准文号", "Approval no.", "basic"),
    _f("bill_no", "BillNo", "提运单号", "Bill of lading no.", "transport", sw_label="提运单号"),
    _f("contr_no", "ContrNo", "合同协议号", "Contract no.", "trade", sw_label="合同号协议号"),
    _f("declare_customs", "CustomMaster", "申报地海关", "Customs of declaration", "basic", "code", width=4, code_table="customs_office", sw_label="申报地海关"),
    _f("cut_mode", "CutMode", "征免性质", "Levy kind", "trade", "code", width=3, code_table="cut_mode", sw_label="征免性质"),
    _f("distinate_port", "DistinatePort", "经停港/指运港", "Port of call / destination", "transport", "upper", sw_label="经停港/指运港"),
    _f("freight.currency", "FeeCurr", "运费币制", "Freight currency", "fees", "table", code_table="currency", sw_label="运费币制代码"),
    _f("freight.mark", "FeeMark", "运费标记", "Freight mark", "fees", "code", width=1, sw_label="运费标识"),
    _f("freight.rate", "FeeRate", "运费/率", "Freight rate or amount", "fees", "dec", sw_label="运费数值"),
    _f("gross_wt", "GrossWet", "毛重(千克)", "Gross weight (kg)", "packing", "dec", sw_label="毛重（KG）", aliases=("GrossWt",)),
    _f("ie_date", "IEDate", "进出口日期", "Import/export date", "basic", "date", sw_label="进/出口日期"),
    _f("ie_port", "IEPort", "进出境关别", "Port of entry/exit customs", "basic", "code", width=4, code_table="customs_office", sw_label="进/出境关别"),
    _f("insurance.currency", "InsurCurr", "保费币制", "Insurance currency", "fees", "table", code_table="currency", sw_label="保费币制代码"),
    _f("insurance.mark", "InsurMark", "保费标记", "Insurance mark", "fees", "code", width=1, sw_label="保费标识"),
    _f("insurance.rate", "InsurRate", "保费/率", "Insurance rate or amount", "fees", "dec", sw_label="保费数值"),
    _f("license_no", "LicenseNo", "许可证号", "Licence no.", "trade", sw_label="许可证号"),
    _f("manual_no", "ManualNo", "备案号", "Record (manual) no.", "basic", "upper", sw_label="备案号"),
    _f("net_wt", "NetWt", "净重(千克)", "Net weight (kg)", "packing", "dec", sw_label="净重（KG）", aliases=("NetWet",)),
    _f("note", "NoteS", "备注", "Remarks", "basic", sw_label="备注"),
    _f("other_fee.currency", "OtherCurr", "杂费币制", "Incidental charges currency", "fees", "table", code_table="currency", sw_label="杂费币制代码"),
    _f("other_fee.mark", "OtherMark", "杂费标记", "Incidental charges mark", "fees", "code", width=1, sw_label="杂费标识"),
    _f("other_fee.rate", "OtherRate", "杂费/率", "Incidental charges rate or amount", "fees", "dec", sw_label="杂费数值"),
    _f("owner.code", "OwnerCode", "消费使用/生产销售单位海关编码", "Owner customs code", "parties", "code", width=10),
    _f("owner.name", "OwnerName", "消费使用/生产销售单位名称", "Owner name", "parties", sw_label="消费使用单位名称"),
    _f("pack_no", "PackNo", "件数", "Packages", "packing", "int", sw_label="件数"),
    _f("consignee.code", "TradeCode", "境内收发货人海关编码", "Domestic consignee/consignor customs code", "parties", "code", width=10),
    _f("depart_country", "TradeCountry", "启运国(地区)", "Country of departure", "trade", "table", code_table="country", sw_label="启运国/抵运国", in_code="TradeCountry is the departure country on import, the arrival country on export"),
    _f("trade_mode", "TradeMode", "监管方式", "Trade mode", "trade", "code", width=4, code_table="trade_mode", sw_label="监管方式"),
    _f("consignee.name", "TradeName", "境内收发货人名称", "Domestic consignee/consignor name", "parties", sw_label="境内收发货人名称"),
    _f("transport_mode", "TrafMode", "运输方式", "Transport mode", "transport", "code", width=1, code_table="transport_mode", sw_label="运输方式"),
    _f("traf_name", "TrafName", "运输工具名称", "Means of transport", "transport", sw_label="运输工具名称"),
    _f("trans_mode", "TransMode", "成交方式", "Transaction mode", "trade", "code", width=1, code_table="trans_mode", sw_label="成交方式"),
    _f("wrap_type", "WrapType", "包装种类", "Package type", "packing", "code", width=2, code_table="wrap_type", sw_label="包装种类"),
    _f("declaration_type", "EntryType", "报关单类型", "Declaration type", "basic", "entry_type", sw_label="报关单类型"),
    _f("decl_trn_rel", "DeclTrnRel", "报关/转关关系标志", "Declaration/transit relation", "basic", "code", width=1),
    _f("chk_surety", "ChkSurety", "担保验放", "Release against guarantee", "basic", "code", width=1),
    _f("bill_type", "BillType", "备案清单类型", "Record list type", "basic", "code", width=1, sw_label="清单类型"),
    _f("owner.uscc", "OwnerCodeScc", "消费使用/生产销售单位统一社会信用代码", "Owner USCC", "parties", "uscc", sw_label="消费使用单位代码"),
    _f("agent.uscc", "AgentCodeScc", "申报单位统一社会信用代码", "Declaring unit USCC", "parties", "uscc", sw_label="申报单位代码"),
    _f("consignee.uscc", "TradeCoScc", "境内收发货人统一社会信用代码", "Domestic consignee/consignor USCC", "parties", "uscc", sw_label="境内收发货人代码"),
    _f("price_statements.special_relationship", "PromiseItmes", "特殊关系确认", "Special relationship confirmed", "trade", "bool", sw_label="特殊关系确认", in_code="1st character of PromiseItmes (1 yes, 0 no, 9 not applicable)", since="4.x"),
    _f("price_statements.price_influence", "PromiseItmes", "价格影响确认", "Price influence confirmed", "trade", "bool", sw_label="价格影响确认", in_code="2nd character of PromiseItmes", since="4.x"),
    _f("price_statements.royalty_payment", "PromiseItmes", "与货物有关的特许权使用费支付确认", "Royalties paid for the goods", "trade", "bool", sw_label="与货物有关的特许权使用费支付确认", in_code="3rd character of PromiseItmes", since="4.x"),
    _f("price_statements.formula_pricing", "PromiseItmes", "公式定价确认", "Formula pricing", "trade", "bool", in_code="4th character of PromiseItmes", since="4.x"),
    _f("price_statements.provisional_price", "PromiseItmes", "暂定价格确认", "Provisional price", "trade", "bool", in_code="5th character of PromiseItmes", since="4.x"),
    _f("trade_country", "TradeAreaCode", "贸易国(地区)", "Trading country", "trade", "table", code_table="country", sw_label="贸易国别", in_code="older files carry it in TradeCountry, without TradeAreaCode"),
    _f("check_flow", "CheckFlow", "查验分流", "Inspection split", "inspection", "code", width=1, since="4.x"),
    _f("tax_aamin_mark", "TaxAaminMark", "税收征管标记", "Tax administration mark", "inspection", "code", width=1, since="4.x"),
    _f("mark_no", "MarkNo", "标记唛码", "Shipping marks", "packing", sw_label="标记唛码", since="4.x"),
    _f("desp_port", "DespPortCode", "启运港", "Port of departure", "transport", "upper", sw_label="启运港", since="4.x"),
    _f("enty_port", "EntyPortCode", "入境/离境口岸", "Port of entry/exit", "transport", "code", width=6, sw_label="入境/离境口岸", since="4.x"),
    _f("goods_place", "GoodsPlace", "货物存放地点", "Where the goods are kept", "transport", sw_label="存放地点", since="4.x"),
    _f("bl_no", "BLNo", "B/L号", "B/L no.", "transport", sw_label="B/L号", since="4.x"),
    _f("insp_org_code", "InspOrgCode", "口岸检验检疫机构", "Port inspection authority", "inspection", "code", width=4, code_table="customs_office", sw_label="口岸检验检疫机构", since="4.x"),
    _f("special_business.international_event", "SpecDeclFlag", "特殊业务标识-国际赛事", "International sports event", "inspection", "bool", sw_label="特殊业务标识-国际赛事", in_code="1st character of SpecDeclFlag (1 yes, 0 no)", since="4.x"),
    _f("special_business.military_goods", "SpecDeclFlag", "特殊业务标识-特殊进出军工物资", "Military goods", "inspection", "bool", sw_label="特殊业务标识-特殊进出军工物资", in_code="2nd character of SpecDeclFlag", since="4.x"),
    _f("special_business.aid_goods", "SpecDeclFlag", "特殊业务标识-国际援助物资", "International aid", "inspection", "bool", sw_label="特殊业务标识-国际援助物资", in_code="3rd character of SpecDeclFlag", since="4.x"),
    _f("special_business.international_meeting", "SpecDeclFlag", "特殊业务标识-国际会议", "International meeting", "inspection", "bool", sw_label="特殊业务标识-国际会议", in_code="4th character of SpecDeclFlag", since="4.x"),
    _f("special_business.direct_release", "SpecDeclFlag", "特殊通过模式-直通放行", "Direct release", "inspection", "bool", sw_label="特殊通过模式-直通放行", in_code="5th character of SpecDeclFlag", since="4.x"),
    _f("special_business.diplomatic", "SpecDeclFlag", "特殊通过模式-外交礼遇", "Diplomatic courtesy", "inspection", "bool", sw_label="特殊通过模式-外交礼遇", in_code="6th character of SpecDeclFlag", since="4.x"),
    _f("special_business.transit", "SpecDeclFlag", "特殊通过模式-转关", "Transit", "inspection", "bool", sw_label="特殊通过模式-转关", in_code="7th character of SpecDeclFlag", since="4.x"),
    _f("purp_org_code", "PurpOrgCode", "目的地海关", "Customs of destination", "inspection", "code", width=4, code_table="customs_office", sw_label="目的地检验检疫机关", since="4.x"),
    _f("desp_date", "DespDate", "启运日期", "Date of departure", "transport", "date", sw_label="启运日期", since="4.x"),
    _f("cmpl_dschrg_dt", "CmplDschrgDt", "卸毕日期", "Unloading completed", "transport", "date", sw_label="卸毕日期", since="4.x"),
    _f("correlation_reason", "CorrelationReasonFlag", "关联理由", "Reason of the related number", "inspection", sw_label="关联理由", since="4.x"),
    _f("vsa_org_code", "VsaOrgCode", "领证机关", "Certificate-issuing authority", "inspection", "code", width=4, code_table="customs_office", sw_label="领证机关", since="4.x"),
    _f("orig_box_flag", "OrigBoxFlag", "原集装箱标识", "Original container to destination", "inspection", "code", width=1, sw_label="原箱运输", since="4.x"),
    _f("no_other_pack", "NoOtherPack", "无其他包装", "No other packing", "packing", "code", width=1, since="4.x"),
    _f("org_code", "OrgCode", "检验检疫受理机关", "Inspection authority receiving the declaration", "inspection", "code", width=4, code_table="customs_office", sw_label="检验检疫受理机关", since="4.x"),
    _f("overseas_consignor.code", "OverseasConsignorCode", "境外收发货人代码", "Overseas consignor code", "parties", sw_label="境外发货人代码", since="4.x"),
    _f("overseas_consignor.name", "OverseasConsignorCname", "境外收发货人名称", "Overseas consignor name", "parties", sw_label="境外收发货人名称（中文）", since="4.x"),
    _f("overseas_consignor.name_en", "OverseasConsignorEname", "境外收发货人名称(外文)", "Overseas consignor name (foreign)", "parties", sw_label="境外收发货人名称（英文）", since="4.x"),
    _f("overseas_consignor.address", "OverseasConsignorAddr", "境外收发货人地址", "Overseas consignor address", "parties", sw_label="境外收发货人地址", since="4.x"),
    _f("overseas_consignee.code", "OverseasConsigneeCode", "境外收货人代码", "Overseas consignee code", "parties", since="4.x"),
    _f("overseas_consignee.name_en", "OverseasConsigneeEname", "境外收货人名称(外文)", "Overseas consignee name (foreign)", "parties", since="4.x"),
    _f("consignee_name_en", "DomesticConsigneeEname", "境内收发货人名称(外文)", "Domestic consignee/consignor name (foreign)", "parties", sw_label="境内收发货人名称（英文）", since="4.x"),
    _f("correlation_no", "CorrelationNo", "关联号码", "Related number", "inspection", sw_label="关联号码", since="4.x"),
    _f("consignee_ciq_code", "TradeCiqCode", "境内收发货人检验检疫编码", "Domestic consignee/consignor inspection code", "parties", "upper", sw_label="境内收发货人检验检疫编码", since="4.x"),
    _f("owner_ciq_code", "OwnerCiqCode", "消费使用/生产销售单位检验检疫编码", "Owner inspection code", "parties", "upper", sw_label="消费使用单位检验检疫代码", since="4.x"),
    _f("agent_ciq_code", "DeclCiqCode", "申报单位检验检疫编码", "Declaring unit inspection code", "parties", "upper", sw_label="申报单位检验检疫代码", since="4.x"),
    # ---- DecList (goods)
    _f("goods[].code_ts", "CodeTS", "商品编号", "HS code", "goods", "code", width=10, sw_label="商品编号"),
    _f("goods[].contr_item", "ContrItem", "备案序号", "Record item no.", "goods", "int", sw_label="备案序号"),
    _f("goods[].decl_price", "DeclPrice", "单价", "Unit price", "goods", "dec", sw_label="单价"),
    _f("goods[].duty_mode", "DutyMode", "征免方式", "Duty mode", "goods", "code", width=1, code_table="duty_mode", sw_label="征免方式"),
    _f("goods[].g_model", "GModel", "规格型号", "Specification and model", "goods", sw_label="规格型号"),
    _f("goods[].g_name", "GName", "商品名称", "Goods name", "goods", sw_label="商品名称"),
    _f("goods[].g_no", "GNo", "商品序号", "Item no.", "goods", "int", sw_label="项号"),
    _f("goods[].origin_country", "OriginCountry", "原产国(地区)", "Country of origin", "goods", "table", code_table="country", sw_label="原产国（地区）"),
    _f("goods[].currency", "TradeCurr", "币制", "Currency", "goods", "table", code_table="currency", sw_label="币制"),
    _f("goods[].decl_total", "DeclTotal", "总价", "Total price", "goods", "dec", sw_label="总价"),
    _f("goods[].qty", "GQty", "成交数量", "Quantity", "goods", "dec", sw_label="成交数量"),
    _f("goods[].first_qty", "FirstQty", "法定第一数量", "First legal quantity", "goods", "dec", sw_label="法定第一数量"),
    _f("goods[].second_qty", "SecondQty", "法定第二数量", "Second legal quantity", "goods", "dec", sw_label="法定第二数量"),
    _f("goods[].unit", "GUnit", "成交计量单位", "Unit", "goods", "code", width=3, code_table="unit", sw_label="成交计量单位"),
    _f("goods[].first_unit", "FirstUnit", "法定第一计量单位", "First legal unit", "goods", "code", width=3, code_table="unit", sw_label="法定第一计量单位"),
    _f("goods[].second_unit", "SecondUnit", "法定第二计量单位", "Second legal unit", "goods", "code", width=3, code_table="unit", sw_label="法定第二计量单位"),
    _f("goods[].use_to", "UseTo", "用途/生产厂家", "Use (old code)", "goods", "code", width=2),
    _f("goods[].work_usd", "WorkUsd", "工缴费", "Processing fee", "goods", "dec"),
    _f("goods[].exg_no", "ExgNo", "货号", "Part no.", "goods", sw_label="货号"),
    _f("goods[].exg_version", "ExgVersion", "加工成品版本号", "Finished product version", "goods", "int", sw_label="加工成品版本号"),
    _f("goods[].destination_country", "DestinationCountry", "最终目的国(地区)", "Country of destination", "goods", "table", code_table="country", sw_label="最终目的国（地区）"),
    _f("goods[].ciq_code", "CiqCode", "检验检疫编码", "Inspection code", "goods", "upper", sw_label="检验检疫编码", since="4.x"),
    _f("goods[].g_name_en", "DeclGoodsEname", "商品英文名称", "Goods name (English)", "goods", sw_label="英文名称", since="4.x"),
    _f("goods[].orig_place_code", "OrigPlaceCode", "原产地区代码", "Region of origin", "goods", sw_label="原产地区代码", since="4.x"),
    _f("goods[].purpose", "Purpose", "用途代码", "Use", "goods", "code", sw_label="用途代码", since="4.x"),
    _f("goods[].prod_valid_dt", "ProdValidDt", "产品有效期", "Valid until", "goods", sw_label="产品有效期（天）", since="4.x"),
    _f("goods[].prod_qgp", "ProdQgp", "产品保质期", "Shelf life", "goods", sw_label="保质期", since="4.x"),
    _f("goods[].goods_attr", "GoodsAttr", "货物属性代码", "Goods attributes", "goods", sw_label="货物属性代码", since="4.x"),
    _f("goods[].stuff", "Stuff", "成份/原料/组份", "Ingredients", "goods", sw_label="成分", since="4.x"),
    _f("goods[].uncode", "Uncode", "UN编码", "UN number", "goods", sw_label="UN编号", since="4.x"),
    _f("goods[].dang_name", "DangName", "危险货物名称", "Dangerous goods name", "goods", sw_label="危险类别", since="4.x"),
    _f("goods[].dang_pack_type", "DangPackType", "危包类别", "Dangerous goods packing group", "goods", sw_label="包装类别", since="4.x"),
    _f("goods[].dang_pack_spec", "DangPackSpec", "危包规格", "Dangerous goods packing mark", "goods", sw_label="包装UN标记", since="4.x"),
    _f("goods[].eng_man_ent_cnm", "EngManEntCnm", "境外生产企业名称", "Overseas manufacturer", "goods", sw_label="境外生产企业", since="4.x"),
    _f("goods[].no_dang_flag", "NoDangFlag", "非危险化学品", "Not a dangerous chemical", "goods", "code", width=1, sw_label="非危险货物", since="4.x"),
    _f("goods[].dest_code", "DestCode", "目的地代码", "Destination (domestic) code", "goods", "upper", sw_label="目的地代码/产地代码", since="4.x"),
    _f("goods[].goods_spec", "GoodsSpec", "检验检疫货物规格", "Goods specification (inspection)", "goods", sw_label="货物规格", since="4.x"),
    _f("goods[].goods_model", "GoodsModel", "货物型号", "Goods model", "goods", sw_label="货物型号", since="4.x"),
    _f("goods[].goods_brand", "GoodsBrand", "货物品牌", "Brand", "goods", sw_label="货物品牌", since="4.x"),
    _f("goods[].produce_date", "ProduceDate", "生产日期", "Production dates", "goods", sw_label="生产日期", since="4.x"),
    _f("goods[].prod_batch_no", "ProdBatchNo", "生产批号", "Batch numbers", "goods", sw_label="生产批次", since="4.x"),
    _f("goods[].district_code", "DistrictCode", "境内目的地/境内货源地", "Domestic destination / source", "goods", "code", width=5, sw_label="境内目的地/境内货源地", since="4.x"),
    _f("goods[].ciq_name", "CiqName", "检验检疫名称", "Inspection name", "goods", since="4.x"),
    _f("goods[].mnufctr_reg_no", "MnufctrRegNo", "生产单位注册号", "Manufacturer registration no.", "goods", sw_label="生产单位代码", since="4.x"),
    _f("goods[].mnufctr_reg_name", "MnufctrRegName", "生产单位名称", "Manufacturer name", "goods", since="4.x"),
    # ---- DecList/DecGoodsLimits/DecGoodsLimit (licences per goods item)
    _f("goods[].licences[].lic_type_code", "LicTypeCode", "许可证类别代码", "Licence type", "licences", "upper", sw_label="许可证类别代码", since="4.x"),
    _f("goods[].licences[].licence_no", "LicenceNo", "许可证编号", "Licence no.", "licences", sw_label="许可证编号", since="4.x"),
    _f("goods[].licences[].lic_wrtof_detail_no", "LicWrtofDetailNo", "核销货物序号", "Licence item written off", "licences", sw_label="核销货物序号", since="4.x"),
    _f("goods[].licences[].lic_wrtof_qty", "LicWrtofQty", "核销数量", "Quantity written off", "licences", "dec", sw_label="核销数量", since="4.x"),
    _f("goods[].licences[].lic_wrtof_qty_unit", "LicWrtofQtyUnit", "核销数量单位", "Unit written off", "licences", "code", width=3, code_table="unit", sw_label="核销数量单位", since="4.x"),
    # ---- DecGoodsLimit/DecGoodsLimitVin (vehicles a licence covers); not a sheet of our workbook
    _f("goods[].licences[].vins[].vin_no", "VinNo", "VIN序号", "VIN item no.", "licences", sw_label="VIN序号", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].bill_lad_date", "BillLadDate", "提/运单日期", "Bill of lading date", "licences", "date", sw_label="提/运单日期", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].quality_qgp", "QualityQgp", "质量保质期", "Quality guarantee period", "licences", sw_label="质量保质期", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].motor_no", "MotorNo", "发动机号或电机号", "Engine or motor no.", "licences", "upper", sw_label="发动机号或电机号", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].vin_code", "VinCode", "车辆识别代码(VIN)", "Vehicle identification number (VIN)", "licences", "upper", sw_label="车俩识别代码", workbook=False, since="4.x"),  # 俩 (sic): the template's own label
    _f("goods[].licences[].vins[].chassis_no", "ChassisNo", "底盘(车架)号", "Chassis (frame) no.", "licences", "upper", sw_label="底盘号", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].invoice_num", "InvoiceNum", "发票所列数量", "Quantity on the invoice", "licences", "dec", sw_label="发票所列数量", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].prod_cnnm", "ProdCnnm", "品名(中文名称)", "Product name (Chinese)", "licences", sw_label="品名（中文）", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].prod_ennm", "ProdEnnm", "品名(英文名称)", "Product name (English)", "licences", sw_label="品名（英文）", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].model_en", "ModelEn", "型号(英文)", "Model (English)", "licences", sw_label="型号（英文）", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].price_per_unit", "PricePerUnit", "单价", "Unit price", "licences", "dec", sw_label="单价", workbook=False, since="4.x"),
    _f("goods[].licences[].vins[].invoice_no", "InvoiceNo", "发票号", "Invoice no.", "licences", sw_label="发票号", workbook=False, since="4.x"),
    # ---- DecContainers/Container
    _f("containers[].container_id", "ContainerId", "集装箱号", "Container no.", "containers", "upper", sw_label="集装箱号"),
    _f("containers[].container_md", "ContainerMd", "集装箱规格", "Container size", "containers", sw_label="集装箱规格"),
    _f("containers[].goods_no", "GoodsNo", "商品项号关系", "Item nos. in the container", "containers", sw_label="商品项号关系"),
    _f("containers[].lcl_flag", "LclFlag", "拼箱标识", "LCL flag", "containers", "code", width=1, sw_label="拼箱标识"),
    _f("containers[].container_wt", "ContainerWt", "集装箱自重(千克)", "Container tare weight (kg)", "containers", "dec", sw_label="集装箱自重"),
    # ---- DecLicenseDocus/LicenseDocu
    _f("licence_documents[].docu_code", "DocuCode", "监管证件代码", "Licence kind", "licences", code_table="licence_document", sw_label="随附单证代码"),
    _f("licence_documents[].cert_code", "CertCode", "监管证件编号", "Licence no.", "licences", sw_label="单证编号"),
    # ---- DecFreeTxt
    _f("rel_id", "RelId", "关联报关单号", "Related declaration no.", "basic", block="DecFreeTxt", sw_label="关联报关单号"),
    _f("rel_man_no", "RelManNo", "关联备案号", "Related record no.", "basic", "upper", block="DecFreeTxt", sw_label="关联备案号"),
    _f("bon_no", "BonNo", "保税/监管场所", "Bonded or supervised site", "transport", block="DecFreeTxt", sw_label="保税/监管场地"),
    _f("voyage_no", "VoyNo", "航次号", "Voyage no.", "transport", block="DecFreeTxt", sw_label="航次号", in_code="DecFreeTxt/VoyNo; some files put VoyNo in DecHead"),
    _f("cus_fie", "CusFie", "货场代码", "Yard code", "transport", "upper", block="DecFreeTxt", sw_label="货场代码"),
    # ---- DecRequestCerts/DecRequestCert
    _f("requested_certificates[].app_cert_code", "AppCertCode", "所需单证代码", "Certificate asked for", "requested_certificates", sw_label="证书代码", since="4.x"),
    _f("requested_certificates[].originals", "ApplOri", "正本数量", "Originals", "requested_certificates", "int", sw_label="正本数量", since="4.x"),
    _f("requested_certificates[].copies", "ApplCopyQuan", "副本数量", "Copies", "requested_certificates", "int", sw_label="副本数量", since="4.x"),
    # ---- DecOtherPacks/DecOtherPack
    _f("other_packs[].pack_qty", "PackQty", "其他包装件数", "Other packing quantity", "packing", "dec", since="4.x"),
    _f("other_packs[].pack_type", "PackType", "其他包装种类", "Other packing type", "packing", "code", width=2, code_table="wrap_type", since="4.x"),
    # ---- EdocRealation
    _f("documents[].edoc_no", "EdocID", "随附单证编号", "Document no.", "documents", aliases=("EdocId",)),
    _f("documents[].edoc_code", "EdocCode", "随附单证代码", "Document code", "documents", "code", width=8, code_table="edoc_code"),
    # ---- not in the message: this service's own fields
    _f("source_seq_no", None, "来源统一编号", "Sender's seq no.", "basic", workbook=False),
    _f("two_step", None, "两步申报", "Two-step declaration", "basic", "bool"),
    _f("self_pay", None, "自报自缴", "Self-declared, self-paid", "basic", "bool"),
    _f("summarized_tax", None, "汇总征税", "Summarized tax payment", "basic", "bool"),
)
# fmt: on

# The row key of our workbook: not a field of the declaration.
REF_LABEL = ("关联号", "Row reference")


@cache
def by_path() -> dict[str, FieldSpec]:
    return {spec.path: spec for spec in FIELDS}


def group(key: str) -> Group:
    return next(g for g in GROUPS if g.key == key)


def in_list(name: str) -> tuple[FieldSpec, ...]:
    """The fields of one list ("goods"), or of the head ("")."""
    return tuple(spec for spec in FIELDS if spec.list == name)


def labels_zh() -> dict[str, str]:
    """Chinese label by workbook path: head paths as they are ("agent.code"), list fields by their
    leaf ("code_ts"), and "ref"."""
    return {"ref": REF_LABEL[0], **{spec.leaf: spec.label_zh for spec in FIELDS}}
