"""What every command shares: the invocation's state (profile, language, client), the errors a
command raises, and the `command` wrapper that turns them into a message and an exit code."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from smartdecl_client import ApiError, Client, Unreachable

from . import importing, output, profile
from .output import err

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Opt = typer.Option
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Refused(Exception):
    """The service answered, but refused part of the work (rejected records, refused marks)."""


class Usage(Exception):
    """A usage error found after parsing (exit 2)."""


@dataclass
class State:
    profile: profile.Profile
    lang: str
    _client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            if not self.profile.url:
                raise Usage("no service URL: --url, SMARTDECL_URL, or `smartdecl login`")
            self._client = Client(
                self.profile.url,
                self.profile.token,
                backoff_seconds=float(os.environ.get("SMARTDECL_BACKOFF_SECONDS", "0.5")),
            )
        return self._client


_state: State | None = None  # set by the main options callback, once per invocation


def set_state(value: State) -> State:
    global _state
    _state = value
    return value


def state() -> State:
    if _state is None:
        raise Usage("no options parsed")
    return _state


def command(fn: Callable) -> Callable:
    """Errors → a message in the chosen language and an exit code; never a traceback."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        lang = state().lang
        try:
            return fn(*args, **kwargs)
        except ApiError as error:
            output.api_error(error, lang)
            raise typer.Exit(1) from None
        except Unreachable as error:
            err.print(f"{'无法连接服务' if lang == 'zh' else 'Service unreachable'}: {error}", markup=False)
            raise typer.Exit(1) from None
        except Refused as error:
            if str(error):
                err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        except (Usage, importing.BadInput) as error:
            err.print(f"{'用法错误' if lang == 'zh' else 'Usage error'}: {error}", markup=False)
            raise typer.Exit(2) from None

    return run


def confirm(question: str, yes: bool) -> None:
    """Ask before a change that cannot be undone, at a terminal only: a script (no terminal on stdin)
    is not stopped by a question it cannot answer. No: nothing done, exit 1."""
    if yes or not sys.stdin.isatty():
        return
    if not typer.confirm(question, default=False):
        raise Refused("")
