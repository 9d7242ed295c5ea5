"""The `casereview` command line: a thin Typer wrapper over the library, one command per stage."""

from __future__ import annotations

import sys

import typer

from casereview.cli import analyst as _analyst  # noqa: F401
from casereview.cli import classify as _classify  # noqa: F401

# Stage commands register themselves on the shared app when imported.
from casereview.cli import core, demo, ops  # noqa: F401  (init, config, audit, demo, backup)
from casereview.cli import ingest as _ingest  # noqa: F401
from casereview.cli import link as _link  # noqa: F401
from casereview.cli import mapping as _mapping  # noqa: F401
from casereview.cli import report as _report  # noqa: F401
from casereview.cli import review as _review  # noqa: F401
from casereview.cli import search as _search  # noqa: F401
from casereview.cli import synth as _synth
from casereview.cli import web as _web  # noqa: F401
from casereview.cli.app import app
from casereview.cli.common import err_console
from casereview.errors import CaseReviewError

__all__ = ["app", "main"]

_synth.register(app)


def _help_only(argv: list[str]) -> int | None:
    """`casereview COMMAND [SUBCOMMAND] --help`: print that command's help and return 0, or
    None when `argv` is anything else (the normal path then answers it).

    The help is the one click prints (the same contexts, the same formatter), but the root
    options are not parsed: Typer coerces a parsed option (`--database`) through a pydantic
    adapter, and importing pydantic doubled the start-up of every command's help (issue 15).
    """
    if len(argv) < 2 or argv[-1] != "--help" or any(a.startswith("-") for a in argv[:-1]):
        return None
    command = typer.main.get_command(app)
    ctx = command.context_class(command, info_name="casereview", **command.context_settings)
    for name in argv[:-1]:
        if not isinstance(command, typer.core.TyperGroup):
            return None  # a positional argument, not a command: let click parse it
        sub = command.get_command(ctx, name)
        if sub is None:
            return None  # unknown command: the normal path prints the usage error
        command = sub
        ctx = command.context_class(command, info_name=name, parent=ctx, **command.context_settings)
    with ctx:
        typer.echo(ctx.get_help(), color=ctx.color)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns casereview errors into one line and an exit code."""
    shown = _help_only(sys.argv[1:] if argv is None else list(argv))
    if shown is not None:
        return shown
    try:
        result = app(args=argv, prog_name="casereview", standalone_mode=False)
    except CaseReviewError as e:
        err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except typer.TyperException as e:  # usage errors: unknown command, bad option value
        show = getattr(e, "show", None)
        if show is not None:
            show()
        else:
            err_console.print(f"error: {e}")
        return int(getattr(e, "exit_code", 2))
    # Without standalone mode click returns the code of a `typer.Exit` instead of raising it.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
