"""`smartdecl agent doctor`: what the agent needs, checked one by one, each with what to do when it
fails: the folders (there, writable, one volume for the renames), the connection, the credential,
the clock, and how the client and the agent's own files look."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartdecl_client import ApiError, Unreachable

from .agent import Agent, clock_skew, local_now
from .folders import Folders, same_volume
from .journal import FAILED_SEEN, SENT_SEEN, WRITING, WRITTEN, Journal
from .service import ExchangeApi
from .settings import AgentSettings

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix_zh: str = ""
    fix_en: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "fix_zh": self.fix_zh,
            "fix_en": self.fix_en,
        }


def diagnose(
    settings: AgentSettings,
    api: ExchangeApi | None = None,
    clock: Callable[[], datetime] = local_now,
) -> list[Check]:
    folders = Folders.at(settings.root, settings.state_dir, settings.kind)
    checks = [*check_folders(folders)]
    api = api or ExchangeApi.connect(settings.url, settings.credential, retries=1, backoff_seconds=0.2)
    checks += check_service(settings, folders, api, clock)
    checks += check_own_files(folders)
    return checks


def check_folders(folders: Folders) -> list[Check]:
    missing = [name for name, path in folders.client_folders().items() if not path.is_dir()]
    if not folders.root.is_dir() or missing:
        what = (
            f"{folders.root} is missing"
            if not folders.root.is_dir()
            else f"missing in {folders.kind_dir}: {', '.join(missing)}"
        )
        return [
            Check(
                "folders",
                FAIL,
                what,
                "确认 --root 指向单一窗口客户端的报文目录（其下有 Deccus001\\OutBox 等）；先运行一次客户端让它建好目录",
                "Point --root at the Single Window client's message folder (it holds Deccus001\\OutBox …); "
                "start the client once so that it creates them",
            )
        ]
    checks = [Check("folders", OK, f"{folders.kind_dir}: OutBox, SentBox, FailBox, InBox")]
    try:
        folders.ensure_own()
        for place in (folders.kind_dir, folders.state_dir):
            _probe(place)
        for name, path in folders.client_folders().items():
            if not os.access(path, os.W_OK):
                raise PermissionError(f"{name} is read-only")
        checks.append(Check("writable", OK, f"{folders.kind_dir} and {folders.state_dir}"))
    except OSError as exc:
        checks.append(
            Check(
                "writable",
                FAIL,
                str(exc),
                "以运行客户端的同一 Windows 用户运行代理，并给该用户报文目录的修改权限",
                "Run the agent as the Windows user that runs the client, with Modify rights on the message folders",
            )
        )
        return checks
    if same_volume(folders.state_dir, folders.inbox):
        checks.append(Check("same volume", OK, "renames into the archive stay on one volume"))
    else:
        checks.append(
            Check(
                "same volume",
                FAIL,
                f"{folders.state_dir} and {folders.inbox} are on different volumes",
                "把 --state-dir 放在与报文目录相同的磁盘上（默认即 <root>\\smartdecl）",
                "Put --state-dir on the message folders' volume (the default, <root>\\smartdecl, is)",
            )
        )
    return checks


def check_service(
    settings: AgentSettings, folders: Folders, api: ExchangeApi, clock: Callable[[], datetime]
) -> list[Check]:
    """One heartbeat: the connection, the credential and the clock in one call (the service records
    the agent's last contact, as the running agent's would)."""
    journal = Journal(folders.journal)
    try:
        agent = Agent(settings, api, journal, folders, clock=clock)
        now = clock()
        answer = agent.heartbeat()
    except Unreachable as exc:
        return [
            Check(
                "connection",
                FAIL,
                str(exc),
                f"检查网址 {settings.url}、代理和防火墙（需能以 HTTPS 访问该地址）",
                f"Check the URL {settings.url}, the proxy and the firewall (HTTPS to it must be allowed)",
            )
        ]
    except ApiError as exc:
        if exc.status in (401, 403):
            return [
                Check("connection", OK, settings.url),
                Check(
                    "credential",
                    FAIL,
                    f"{exc.status} {exc.code}",
                    "凭证无效或已吊销：请法人卡用户在控制台「代理凭证」新建一个，写入凭证文件",
                    "The credential is wrong or revoked: a legal-card user creates a new one (console, agent "
                    "credentials) and puts it in the credential file",
                ),
            ]
        return [Check("connection", FAIL, f"{exc.status} {exc.code}: {exc.message_en}", "稍后再试", "Try again later")]
    finally:
        journal.close()
    checks = [Check("connection", OK, settings.url), Check("credential", OK, "the service accepts it")]
    skew = clock_skew(answer.get("server_time"), now)
    if skew is None:
        checks.append(Check("clock", WARN, "the service said no time"))
    elif abs(skew) > settings.clock_skew_warn_seconds:
        checks.append(
            Check(
                "clock",
                FAIL,
                f"{skew:+.0f} s off the service",
                "校准本机时间：以管理员身份运行 w32tm /resync，或在「日期和时间」中打开自动设置",
                "Set this PC's time: run `w32tm /resync` as administrator, or turn on automatic time",
            )
        )
    else:
        checks.append(Check("clock", OK, f"{skew:+.1f} s off the service"))
    return checks


def check_own_files(folders: Folders) -> list[Check]:
    checks = []
    stamp = local_now().timestamp()
    oldest = folders.state(folders.outbox, stamp).oldest_age_seconds
    if oldest is not None and oldest >= 300:
        checks.append(
            Check(
                "client",
                FAIL,
                f"a file waits in OutBox for {oldest // 60} min",
                "单一窗口客户端未在取件：重启客户端，确认电子口岸卡已插好、已登录",
                "The Single Window client is not taking files: restart it; check that the card is in and signed in",
            )
        )
    else:
        checks.append(Check("client", OK, "OutBox is empty or moving"))
    journal = Journal(folders.journal)
    try:
        unfinished = journal.count(WRITING, WRITTEN, SENT_SEEN, FAILED_SEEN)
        counts = journal.counts()
    finally:
        journal.close()
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"
    checks.append(
        Check("journal", WARN if unfinished else OK, detail + (f"; {unfinished} to finish" if unfinished else ""))
    )
    kept = folders.files(folders.quarantine)
    if kept:
        checks.append(
            Check(
                "quarantine",
                WARN,
                f"{len(kept)} file(s): " + ", ".join(p.name for p in kept[:5]),
                "服务无法读取这些文件：请把文件发给运维人员查看，处理后可删除",
                "The service could not read these files: send them to your operator; remove them once handled",
            )
        )
    else:
        checks.append(Check("quarantine", OK, "empty"))
    return checks


def _probe(folder: Path) -> None:
    """Write, rename and remove a file of our own (never in OutBox, which the client reads)."""
    first, second = folder / "~smartdecl-doctor.probe", folder / "~smartdecl-doctor.probe2"
    first.write_bytes(b"probe")
    os.replace(first, second)
    second.unlink()
