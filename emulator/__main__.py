"""``python -m emulator --port 0 --ready-file F [--host H] [--ca-dir D] [--page-size N] [--no-storage]
[--purview-account NAME | --no-purview]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from .purview.account import DEFAULT_ACCOUNT_NAME
from .server import ServerOptions, serve
from .state import DEFAULT_PAGE_SIZE
from .storage.azurite import AzuriteError


def parse_args(argv: list[str] | None = None) -> ServerOptions:
    parser = argparse.ArgumentParser(prog="python -m emulator", description="Local Azure emulator for dpgov.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="HTTPS port for ARM and control (0 = any free port)")
    parser.add_argument(
        "--ready-file", type=Path, help="write the endpoints and app settings here as JSON once serving"
    )
    parser.add_argument("--ca-dir", type=Path, help="directory of the CA to create or reuse (default: temp dir)")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE, help="default ARM list page size")
    parser.add_argument(
        "--no-storage", action="store_true", help="do not start Azurite (no blob, queue or table storage)"
    )
    purview = parser.add_mutually_exclusive_group()
    purview.add_argument(
        "--purview-account",
        default=DEFAULT_ACCOUNT_NAME,
        help=f"name of the emulated Purview account, also its root collection's (default {DEFAULT_ACCOUNT_NAME})",
    )
    purview.add_argument("--no-purview", action="store_true", help="serve no Purview account")
    args = parser.parse_args(argv)
    if args.page_size < 1:
        parser.error("--page-size must be positive")
    if not args.no_purview and not 3 <= len(args.purview_account) <= 63:
        parser.error("--purview-account must be 3-63 characters")
    return ServerOptions(
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        ca_dir=args.ca_dir,
        ready_file=args.ready_file,
        storage=not args.no_storage,
        purview_account=None if args.no_purview else args.purview_account,
    )


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    try:
        asyncio.run(serve(options))
    except AzuriteError as error:
        sys.exit(f"python -m emulator: {error}")


if __name__ == "__main__":
    main()
