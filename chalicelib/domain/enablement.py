"""Enablement (启用): the legal person accepts the user notice once per enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

NOTICE_VERSION = "2024-11"
NOTICE_ZH = (
    "智能辅助申报用户须知：\n"
    "1. 启用后，企业可预先配置规则，对带智能辅助申报标记的暂存报关单一键启动无人值守批量申报；\n"
    "2. 勾选“辅助确认”即委托本系统对温馨提示内容进行辅助确认；勾选“自动生成代理报关委托协议”即委托本系统生成代理报关委托协议；\n"
    "3. 执行智能辅助申报过程中如需手动申报，建议先暂停智能辅助申报；\n"
    "4. 自报自缴报关单须经企业确认税费后方可申报；\n"
    "5. 企业对以本企业名义申报的报关单内容的真实性、准确性负责。"
)
NOTICE_EN = (
    "Smart declaration user notice:\n"
    "1. Once enabled, the enterprise configures rules and starts unattended batch declaration of "
    "temp-saved declarations that carry the smart mark;\n"
    "2. Ticking 'auxiliary confirmation' lets the system confirm advisory prompts; ticking "
    "'auto agency agreement' lets it generate the agency agreement;\n"
    "3. Pause smart declaration before declaring by hand at the same time;\n"
    "4. Self-declared self-paid declarations are declared only after the enterprise confirms the tax;\n"
    "5. The enterprise is responsible for the truth and accuracy of what is declared in its name."
)


@dataclass(frozen=True)
class Enablement:
    ent_code: str
    ent_uscc: str | None
    accepted_by: str
    accepted_at: datetime
    notice_version: str = NOTICE_VERSION


def notice() -> dict[str, str]:
    return {"version": NOTICE_VERSION, "text_zh": NOTICE_ZH, "text_en": NOTICE_EN}
