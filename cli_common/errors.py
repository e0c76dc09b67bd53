"""Errors -> one line on stderr and an exit code; never a traceback.

    0  ok
    1  refused by the ledger or by a rule (a contract revert, a clearing that cannot be made or
       does not match its commitment, a local rule check), or an unexpected failure
    2  bad input (an option, a file that is missing or not valid JSON, a malformed offer,
       a keystore that cannot be unlocked, a missing manifest, a command that moved)
    3  the node cannot be reached

`CliApp` is a typer app whose commands report errors this way; `run_cli` runs an app (the
entry points of `flexledger` and `flexwallet`) and also maps click's usage errors and anything
a mounted sub-app lets escape.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable, Sequence

import typer
from typer._click.exceptions import NoArgsIsHelpError  # typer 0.29 vendors click as typer._click
from typer._click.globals import get_current_context
from pydantic import ValidationError

from clearing.errors import ClearingError, InfeasibleRound, InvalidRoundInput, SolverError
from ledger.errors import (BackendError, ContractRevert, KeystoreError, LedgerError, ManifestError, OfferInvalid,
                           RoundStateMismatch, UnknownRound)
from operations.errors import OperationsError

OK, REFUSED, BAD_INPUT, UNREACHABLE = 0, 1, 2, 3


class BadInput(Exception):
    """A command's input is wrong (exit 2); the message says what and where."""


class Refused(Exception):
    """A command's request was refused by a rule it checks itself (exit 1)."""


try:  # web3's HTTP transport
    from requests.exceptions import ConnectionError as _RequestsConnectionError
    from requests.exceptions import Timeout as _RequestsTimeout
    _UNREACHABLE: tuple[type[BaseException], ...] = (ConnectionError, _RequestsConnectionError, _RequestsTimeout)
except ImportError:  # pragma: no cover
    _UNREACHABLE = (ConnectionError,)

# (exception type, exit code, label) in order: the first match wins
_TABLE: list[tuple[type[BaseException] | tuple[type[BaseException], ...], int, str]] = [
    (BadInput, BAD_INPUT, "bad input"),
    (ManifestError, BAD_INPUT, "bad manifest"),
    (KeystoreError, BAD_INPUT, "keystore"),
    (UnknownRound, BAD_INPUT, "no such round"),
    (ValidationError, BAD_INPUT, "invalid input"),
    (json.JSONDecodeError, BAD_INPUT, "not valid JSON"),
    (InvalidRoundInput, BAD_INPUT, "invalid clearing input"),
    (FileNotFoundError, BAD_INPUT, "file not found"),
    (BackendError, UNREACHABLE, "node unreachable"),
    (_UNREACHABLE, UNREACHABLE, "node unreachable"),
    (ContractRevert, REFUSED, "refused by the ledger"),
    (OfferInvalid, REFUSED, "offer refused"),
    (RoundStateMismatch, REFUSED, "round state mismatch"),
    (InfeasibleRound, REFUSED, "infeasible round"),
    (SolverError, REFUSED, "solver failed"),
    (ClearingError, REFUSED, "clearing refused"),
    (OperationsError, REFUSED, "refused"),
    (Refused, REFUSED, "refused"),
    (LedgerError, REFUSED, "ledger error"),
    (OSError, BAD_INPUT, "cannot read or write"),
    (ValueError, BAD_INPUT, "bad value"),
]


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        text = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'document'}: {e['msg']}" for e in exc.errors())
    elif isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def classify(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for `exc`."""
    for types, code, label in _TABLE:
        if isinstance(exc, types):
            return code, f"{label}: {_one_line(exc)}"
    return REFUSED, f"unexpected {type(exc).__name__}: {_one_line(exc)}"


def report(exc: BaseException, where: str | None = None) -> int:
    """Print `exc` as one line on stderr (prefixed by the command `where`) and return its exit code."""
    code, text = classify(exc)
    typer.echo(f"{where}: {text}" if where else text, err=True)
    return code


def _command_path() -> str | None:
    ctx = get_current_context(silent=True)
    return ctx.command_path if ctx is not None else None


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command; an exception becomes one stderr line and `typer.Exit(code)`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits and usage errors: typer's own
            raise
        except Exception as exc:  # every other error ends here, as one line
            raise typer.Exit(report(exc, _command_path())) from None
    return wrapper


class CliApp(typer.Typer):
    """A typer app whose commands go through `guarded` and which never prints a traceback."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("no_args_is_help", True)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            register(guarded(fn))
            return fn
        return decorator


def run_cli(app: typer.Typer, args: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    """Run `app` and return its exit code; usage errors and escaped exceptions become one line."""
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=list(args) if args is not None else None, prog_name=prog_name,
                          standalone_mode=False)
    except NoArgsIsHelpError:  # typer has printed the help already
        return BAD_INPUT
    except typer.TyperException as exc:  # click's usage errors (missing argument, bad option, ...)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        typer.echo(f"{ctx.command_path if ctx else prog_name or 'error'}: {exc.format_message()}{hint}", err=True)
        return int(getattr(exc, "exit_code", BAD_INPUT))
    except typer.Abort:
        typer.echo("aborted", err=True)
        return REFUSED
    except Exception as exc:
        return report(exc, prog_name)
    return rv if isinstance(rv, int) else OK


def main_for(app: typer.Typer, prog_name: str) -> Callable[[], None]:
    """An entry point for `app`: `sys.exit(run_cli(app, prog_name=...))`."""
    def main() -> None:
        sys.exit(run_cli(app, prog_name=prog_name))
    return main
