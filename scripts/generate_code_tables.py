"""Generate the code tables (chalicelib/domain/data/codes/*.json) that are built here rather than kept by hand.

    .venv/bin/python scripts/generate_code_tables.py          # rewrite both files
    .venv/bin/python scripts/generate_code_tables.py --check  # exit 1 when they differ from a fresh run

Country and currency: ISO 3166-1 and ISO 4217 come complete from pycountry (pinned in requirements-dev.txt: a build-time
tool, never a runtime dependency), with its zh_CN names. On top, what only customs has, kept here:

- the Chinese name customs uses where it differs from pycountry's (中国香港, 韩国, 刚果（金）...):
  the project's earlier tables first, then the customs parameter table 国别(地区)代码 as published
  in github.com/ryanrong95/HXT (DeclarationBase.cs, BaseCountry, commit eca78ea, 2024-12-19);
- the customs codes that are not ISO 3166 (CAI 加那利群岛, CEU 休达, ZZZ 国(地)别不详...), same source;
- customs' older numeric codes (142 = CHN/CNY, 502 = USA/USD...), accepted on import and stored as
  the letter code. Only the pairs the project's earlier tables carried: no public list of the old
  numeric table was found to extend them, and a wrong pair would silently turn one country into
  another (an unknown code is refused, which is better). A currency's numeric code is its issuing
  country's (the tables' own convention), which corrected HUF (was 315 = Austria, now 321 = Hungary)
  and SAR (was 144, now 131 = Saudi Arabia).

The customs parameter tables of the declaration's newer fields (issue #26), each from the public source
its constant names: 征免性质 (cut_mode), 监管证件代码 (licence_document) and 关区代码 (customs_office). The
customs office table lists every directly governed customs (直属海关, the code's first two digits) and
the subordinate offices public sources name; a four-digit code under a listed directly governed customs
is accepted though unnamed (``_accept_under``), since no complete public list of the ~1,000 subordinate
offices was found and refusing a real office would stop a real declaration.
"""

from __future__ import annotations

import argparse
import gettext
import json
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "chalicelib" / "domain" / "data" / "codes"
SOURCE_DATE = "2026-11-30"  # when these tables were last generated and checked
# ISO 4217's codes that name no money a declaration can be priced in: XTS is reserved for testing,
# XXX means "no currency" (tests use it as the unknown code).
NOT_TRADE_CURRENCIES = {"XTS", "XXX"}

# Customs' Chinese name where it differs from pycountry's zh_CN (existing table first, then the
# customs parameter table as published in ryanrong95/HXT).
COUNTRY_NAMES = {
    "ALA": "阿兰群岛（波罗的海中芬兰所属群岛）",
    "ATF": "法属南部领地",
    "BES": "博内尔岛、圣尤斯特歇斯岛和萨巴岛",
    "BGD": "孟加拉国",
    "BLM": "加勒比海圣巴特岛",
    "BOL": "玻利维亚",
    "BVT": "布维岛",
    "BWA": "博茨瓦纳",
    "CCK": "科科斯（基林）群岛",
    "COD": "刚果（金）",
    "COG": "刚果（布）",
    "CUW": "库腊索岛",
    "DOM": "多米尼加",
    "FSM": "密克罗尼西亚(联邦)",
    "GTM": "危地马拉",
    "HKG": "中国香港",
    "HMD": "赫德岛和麦克唐纳岛",
    "IMN": "马恩岛",
    "IRN": "伊朗",
    "KGZ": "吉尔吉斯斯坦",
    "KHM": "柬埔寨",
    "KOR": "韩国",
    "LAO": "老挝",
    "LCA": "圣卢西亚",
    "MAC": "中国澳门",
    "MAF": "圣马丁(法国)",
    "MDA": "摩尔多瓦",
    "MKD": "马其顿",
    "MLT": "马耳他",
    "MNE": "黑山共和国",
    "MNP": "北马里亚纳自由联邦",
    "MSR": "蒙特塞拉特",
    "PCN": "皮特凯恩",
    "PRK": "朝鲜",
    "PYF": "法属波利尼西亚",
    "SHN": "圣赫勒拿",
    "SJM": "斯瓦尔巴岛和扬马延岛",
    "SMR": "圣马力诺",
    "SRB": "塞尔维亚共和国",
    "SXM": "荷属圣马丁岛",
    "SYR": "叙利亚",
    "TTO": "特立尼达和多巴哥",
    "TWN": "中国台湾",
    "VAT": "梵蒂冈",
    "VEN": "委内瑞拉",
}
CUSTOMS_ONLY_COUNTRIES = {
    "CAI": ("加那利群岛", "Canary Islands"),
    "CEU": ("休达", "Ceuta"),
    "GAM": ("盖比群岛", "Gambier Islands"),
    "MAI": ("马克萨斯群岛", "Marquesas Islands"),
    "MEL": ("梅利利亚", "Melilla"),
    "SOC": ("社会群岛", "Society Islands"),
    "TUA": ("土阿莫土群岛", "Tuamotu Islands"),
    "TUB": ("土布艾群岛", "Tubai Islands"),
    "ZAS": ("亚洲其他国家(地区)", "Asia other"),
    "ZEU": ("欧洲其他国家(地区)", "Europe other"),
    "ZNA": ("北美洲其他国家(地区)", "North America other"),
    "ZOC": ("大洋洲其他国家(地区)", "Oceania other"),
    "ZSA": ("拉丁美洲其他国家(地区)", "South America other"),
    "ZUN": ("联合国及机构和国际组织", "UN and oth.int'l org"),
    "ZZZ": ("国(地)别不详", "Country (region) unknown"),
}
COUNTRY_NUMERIC = {
    "ARE": "138",
    "ARG": "402",
    "AUS": "601",
    "AUT": "315",
    "BEL": "301",
    "BGD": "103",
    "BRA": "410",
    "CAN": "501",
    "CHE": "331",
    "CHL": "412",
    "CHN": "142",
    "CZE": "352",
    "DEU": "304",
    "DNK": "302",
    "EGY": "215",
    "ESP": "312",
    "FIN": "318",
    "FRA": "305",
    "GBR": "303",
    "GRC": "310",
    "HKG": "110",
    "HUN": "321",
    "IDN": "112",
    "IND": "113",
    "IRL": "306",
    "ISR": "115",
    "ITA": "307",
    "JPN": "116",
    "KAZ": "145",
    "KEN": "228",
    "KOR": "133",
    "MAC": "121",
    "MEX": "429",
    "MNG": "124",
    "MYS": "122",
    "NGA": "236",
    "NLD": "309",
    "NOR": "326",
    "NZL": "609",
    "PAK": "127",
    "PER": "434",
    "PHL": "129",
    "POL": "327",
    "PRK": "109",
    "PRT": "311",
    "RUS": "344",
    "SAU": "131",
    "SGP": "132",
    "SWE": "330",
    "THA": "136",
    "TUR": "137",
    "TWN": "143",
    "UKR": "347",
    "USA": "502",
    "VNM": "141",
    "ZAF": "244",
}
CURRENCY_NAMES = {
    "AED": "阿联酋迪拉姆",
    "BRL": "巴西雷亚尔",
    "CAD": "加拿大元",
    "CNY": "人民币",
    "HKD": "港币",
    "HUF": "匈牙利福林",
    "IDR": "印度尼西亚卢比",
    "JPY": "日本元",
    "KRW": "韩国元",
    "KZT": "哈萨克斯坦坚戈",
    "PLN": "波兰兹罗提",
    "THB": "泰国铢",
    "TWD": "新台币",
    "VND": "越南盾",
    "ZAR": "南非兰特",
}
CURRENCY_NUMERIC = {
    "AED": "138",
    "AUD": "601",
    "BRL": "410",
    "CAD": "501",
    "CHF": "331",
    "CNY": "142",
    "CZK": "352",
    "DKK": "302",
    "EUR": "300",
    "GBP": "303",
    "HKD": "110",
    "HUF": "321",
    "IDR": "112",
    "INR": "113",
    "JPY": "116",
    "KRW": "133",
    "KZT": "145",
    "MOP": "121",
    "MXN": "429",
    "MYR": "122",
    "NOK": "326",
    "NZD": "609",
    "PHP": "129",
    "PLN": "327",
    "RUB": "344",
    "SAR": "131",
    "SEK": "330",
    "SGD": "132",
    "THB": "136",
    "TRY": "137",
    "TWD": "143",
    "USD": "502",
    "VND": "141",
    "ZAR": "244",
}


# 征免性质: the customs parameter table as published in github.com/ryanrong95/HXT (DeclarationBase.cs,
# BaseLevy, commit eca78ea, 2024-12-19), the whole table (45 codes).
CUT_MODES = {
    "101": "一般征税",
    "118": "整车征税",
    "119": "零部件征税",
    "201": "无偿援助",
    "299": "其他法定",
    "301": "特定区域",
    "307": "保税区",
    "399": "其他地区",
    "401": "科教用品",
    "403": "技术改造",
    "406": "重大项目",
    "408": "重大技术装备",
    "412": "基础设施",
    "413": "残疾人",
    "417": "远洋渔业",
    "418": "国产化",
    "419": "整车特征",
    "420": "远洋船舶",
    "421": "内销设备",
    "422": "集成电路",
    "423": "新型显示器件",
    "499": "ITA产品",
    "501": "加工设备",
    "502": "来料加工",
    "503": "进料加工",
    "506": "边境小额",
    "510": "港澳OPA",
    "601": "中外合资",
    "602": "中外合作",
    "603": "外资企业",
    "605": "勘探开发煤层气",
    "606": "海洋石油",
    "608": "陆上石油",
    "609": "贷款项目",
    "611": "贷款中标",
    "698": "公益收藏",
    "789": "鼓励项目",
    "799": "自有资金",
    "801": "救灾捐赠",
    "802": "扶贫慈善",
    "888": "航材减免",
    "898": "国批减免",
    "997": "自贸协定",
    "998": "内部暂定",
    "999": "例外减免",
}
# 监管证件代码 (DocuCode of DecLicenseDocus): the list a public Single Window declaration form offers
# (50 codes, 2023), names checked against a second public list of the same table.
LICENCE_DOCUMENTS = {
    "0": "反制措施排除代码",
    "1": "进口许可证",
    "2": "两用物项和技术进口许可证",
    "3": "两用物项和技术出口许可证",
    "4": "出口许可证",
    "5": "纺织品临时出口许可证",
    "6": "旧机电产品禁止进口",
    "7": "自动进口许可证",
    "8": "禁止出口商品",
    "9": "禁止进口商品",
    "A": "检验检疫",
    "B": "电子底账",
    "D": "毛坯钻石进出境检验",
    "E": "濒危物种允许出口证明书",
    "F": "濒危物种允许进口证明书",
    "G": "两用物项和技术出口许可证(定向)",
    "H": "港澳OPA纺织品证明",
    "I": "麻醉药品精神药物进出口准许证",
    "J": "黄金及黄金制品进出口准许证",
    "K": "深加工结转申请表",
    "L": "药品进出口准许证",
    "M": "密码产品和设备进口许可证",
    "O": "自动进口许可证(新旧机电产品)",
    "P": "固体废物进口许可证",
    "Q": "进口药品通关单",
    "R": "进口兽药通关单",
    "S": "农药进出口登记管理放行通知单",
    "U": "合法捕捞产品通关证明",
    "V": "人类遗传资源材料出口、出境证明",
    "X": "有毒化学品环境管理放行通知单",
    "Y": "原产地证明",
    "Z": "赴境外加工光盘进口备案证明",
    "a": "保税核注清单",
    "b": "进口广播电影电视节目带(片)提取单",
    "c": "内销征税联系单",
    "d": "援外项目任务通知函",
    "e": "关税配额外优惠税率进口棉花配额证",
    "f": "音像制品（成品）进口批准单",
    "g": "技术出口合同登记证",
    "h": "核增核扣表",
    "i": "技术出口许可证",
    "k": "民用爆炸物品进出口审批单",
    "m": "银行调运人民币现钞进出境证明",
    "n": "音像制品（版权引进）批准单",
    "q": "国别关税配额证明",
    "r": "预归类标志",
    "s": "适用ITA税率的商品用途认定证明",
    "t": "关税配额证明",
    "v": "自动进口许可证(加工贸易)",
    "x": "出口许可证(加工贸易)",
    "y": "出口许可证(边境小额贸易)",
    "z": "古生物化石出境批件",
}
# 关区代码: the 42 directly governed customs (XX00), then subordinate offices as public code lists
# name them (the 关区参数代码表 pages of 365area.com, public declaration tools' option lists).
CUSTOMS_OFFICES = {
    "0100": "北京海关",
    "0200": "天津海关",
    "0400": "石家庄海关",
    "0500": "太原海关",
    "0600": "满洲里海关",
    "0700": "呼和浩特海关",
    "0800": "沈阳海关",
    "0900": "大连海关",
    "1500": "长春海关",
    "1900": "哈尔滨海关",
    "2200": "上海海关",
    "2300": "南京海关",
    "2900": "杭州海关",
    "3100": "宁波海关",
    "3300": "合肥海关",
    "3500": "福州海关",
    "3700": "厦门海关",
    "4000": "南昌海关",
    "4200": "青岛海关",
    "4300": "济南海关",
    "4600": "郑州海关",
    "4700": "武汉海关",
    "4900": "长沙海关",
    "5100": "广州海关",
    "5200": "黄埔海关",
    "5300": "深圳海关",
    "5700": "拱北海关",
    "6000": "汕头海关",
    "6400": "海口海关",
    "6700": "湛江海关",
    "6800": "江门海关",
    "7200": "南宁海关",
    "7900": "成都海关",
    "8000": "重庆海关",
    "8300": "贵阳海关",
    "8600": "昆明海关",
    "8800": "拉萨海关",
    "9000": "西安海关",
    "9400": "乌鲁木齐海关",
    "9500": "兰州海关",
    "9600": "银川海关",
    "9700": "西宁海关",
    "0101": "机场单证",
    "0102": "京监管处",
    "0103": "京关展览",
    "0104": "京一处",
    "0105": "京二处",
    "0106": "京关关税",
    "0107": "机场库区",
    "0108": "京通关处",
    "0801": "沈阳海关",
    "0802": "锦州海关",
    "0803": "沈驻邮办",
    "0804": "沈驻抚顺",
    "0805": "沈开发区",
    "0806": "沈驻辽阳",
    "0807": "沈机场办",
    "0808": "沈综保区",
    "0809": "沈快件",
    "0810": "葫芦岛关",
    "0811": "辽沈加区",
    "0812": "沈张出加",
    "0813": "沈阳物流",
    "0901": "大连港湾",
    "0902": "大连机场",
    "0903": "连开发区",
    "0904": "连加工区",
    "0905": "窑北良办",
    "0906": "连保税区",
    "2201": "浦江海关",
    "2202": "吴淞海关",
    "2203": "虹桥机场海关",
    "2204": "经济技术开发区",
    "2205": "驻车站办事处",
    "2206": "驻邮局办事处",
    "2208": "宝山海关",
    "2209": "浦江龙吴海关",
    "2210": "浦东海关",
    "2212": "奉贤海关",
    "2213": "莘庄海关",
    "2216": "浦机综保",
    "2217": "嘉定海关",
    "2218": "外高桥关",
    "2220": "金山海关",
    "2221": "松江海关",
    "2223": "驻南汇办事处",
    "2224": "驻崇明办事处",
    "2225": "外港海关",
    "2233": "浦东机场海关",
    "2240": "漕河泾加",
    "2241": "沪业一处",
    "2242": "沪业二处",
    "2243": "沪业三处",
    "2244": "上海快件",
    "2245": "沪金桥办",
    "2246": "保税物流",
    "2247": "沪化工区",
    "2248": "洋山港区",
    "2249": "洋山保税",
    "2921": "义乌海关",
    "2922": "金关永办",
    "2928": "杭关电商",
    "2931": "温关邮办",
    "2932": "温经开关",
    "2933": "温关机办",
    "2934": "温关鳌办",
    "2935": "温关瑞办",
    "2936": "温关乐办",
    "2941": "舟关嵊办",
    "2942": "舟关金塘",
    "2943": "舟关综保",
    "2951": "台关临办",
    "2952": "台关温办",
    "2953": "台关玉办",
    "2961": "绍关虞办",
    "2962": "绍关诸办",
    "2963": "绍关新办",
    "2981": "嘉关乍办",
    "2982": "嘉关善办",
    "4238": "威海快件",
    "4239": "潍诸城办",
    "4240": "青关快件",
    "4241": "烟加工区",
    "4242": "威加工区",
    "4243": "济曲阜办",
    "4244": "青滨州办",
    "4245": "烟台邮办",
    "4246": "青加工区",
    "4247": "威机场办",
    "4248": "青莱芜办",
    "4249": "潍加工区",
    "4250": "青西加区",
    "4251": "淄博物流",
    "4253": "日照物流",
    "4254": "青岛物流",
    "4255": "潍寿光办",
    "4258": "青保税港",
    "4301": "现场业务",
    "5141": "广州机场",
    "5320": "文锦渡关",
    "5321": "福保税关",
    "5345": "深圳湾关",
}


def _simple(name: str, comment: str, source: str, rows: dict[str, str], **more: object) -> dict:
    return {
        "_comment": comment,
        "_source": source,
        "_date": SOURCE_DATE,
        **more,
        "codes": {code: {"zh": zh} for code, zh in rows.items()},
    }


def cut_mode_table() -> dict:
    return _simple(
        "cut_mode",
        "征免性质 CutMode, 3 digits.",
        "Generated by scripts/generate_code_tables.py from the customs parameter table 征免性质 as published in "
        "github.com/ryanrong95/HXT (DeclarationBase.cs, BaseLevy, commit eca78ea, 2024-12-19), the whole table.",
        CUT_MODES,
    )


def licence_document_table() -> dict:
    return _simple(
        "licence_document",
        "监管证件代码 DocuCode (DecLicenseDocus/LicenseDocu), one character: letters are case-sensitive.",
        "Generated by scripts/generate_code_tables.py from the 监管证件代码 list of a public Single Window "
        "declaration form (2023, 50 codes), names checked against a second public list of the table.",
        LICENCE_DOCUMENTS,
    )


def customs_office_table() -> dict:
    return _simple(
        "customs_office",
        "关区代码 (CustomMaster, IEPort, PurpOrgCode), 4 digits: the first two name the directly governed customs. "
        "'_accept_under': a code not listed is accepted when the directly governed customs of its first two "
        "digits is listed (XX00).",
        "Generated by scripts/generate_code_tables.py: the 42 directly governed customs (直属海关), and the "
        "subordinate offices public code lists name (关区参数代码表 pages of 365area.com, public declaration "
        "tools' option lists, 2024).",
        CUSTOMS_OFFICES,
        _accept_under=2,
    )


def _zh(domain: str):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["zh_CN"]).gettext


def country_table() -> dict:
    zh = _zh("iso3166-1")
    codes: dict[str, dict[str, str]] = {}
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_3):
        row = {"zh": COUNTRY_NAMES.get(country.alpha_3) or zh(country.name), "en": country.name}
        if country.alpha_3 in COUNTRY_NUMERIC:
            row["numeric"] = COUNTRY_NUMERIC[country.alpha_3]
        codes[country.alpha_3] = row
    for code, (name_zh, name_en) in sorted(CUSTOMS_ONLY_COUNTRIES.items()):
        codes[code] = {"zh": name_zh, "en": name_en}
    return {
        "_comment": "国别(地区) Country/region: ISO 3166-1 alpha-3 as stored, plus customs' own codes; "
        "'numeric' is the older customs numeric code accepted on import and converted.",
        "_source": f"Generated by scripts/generate_code_tables.py from pycountry {pycountry_version()} "
        "(ISO 3166-1, zh_CN names) and the customs parameter table 国别(地区)代码 "
        "(github.com/ryanrong95/HXT DeclarationBase.cs, 2024-12-19).",
        "_date": SOURCE_DATE,
        "codes": codes,
    }


def currency_table() -> dict:
    zh = _zh("iso4217")
    codes: dict[str, dict[str, str]] = {}
    for currency in sorted(pycountry.currencies, key=lambda c: c.alpha_3):
        if currency.alpha_3 in NOT_TRADE_CURRENCIES:
            continue
        row = {"zh": CURRENCY_NAMES.get(currency.alpha_3) or zh(currency.name), "en": currency.name}
        if currency.alpha_3 in CURRENCY_NUMERIC:
            row["numeric"] = CURRENCY_NUMERIC[currency.alpha_3]
        codes[currency.alpha_3] = row
    return {
        "_comment": "币制 Currency: ISO 4217 letter code as stored; 'numeric' is the older customs numeric "
        "code accepted on import and converted.",
        "_source": f"Generated by scripts/generate_code_tables.py from pycountry {pycountry_version()} "
        "(ISO 4217, zh_CN names); customs names from the project's earlier table and the "
        "customs 币制代码 table (github.com/ryanrong95/HXT Currency, 2024-12-19).",
        "_date": SOURCE_DATE,
        "codes": codes,
    }


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


def render(table: dict) -> str:
    return json.dumps(table, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing them")
    args = parser.parse_args(argv)
    stale = []
    tables = (
        ("country", country_table()),
        ("currency", currency_table()),
        ("cut_mode", cut_mode_table()),
        ("licence_document", licence_document_table()),
        ("customs_office", customs_office_table()),
    )
    for name, table in tables:
        path = OUT / f"{name}.json"
        text = render(table)
        if args.check:
            if path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path.relative_to(OUT.parents[3])}: {len(table['codes'])} codes")
    if stale:
        print(f"out of date, run scripts/generate_code_tables.py: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
