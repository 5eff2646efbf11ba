"""``python -m emulator --port 0 --ready-file F [--host H] [--ca-dir D] [--page-size N] [--no-storage]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

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
    args = parser.parse_args(argv)
    if args.page_size < 1:
        parser.error("--page-size must be positive")
    return ServerOptions(
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        ca_dir=args.ca_dir,
        ready_file=args.ready_file,
        storage=not args.no_storage,
    )


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    try:
        asyncio.run(serve(options))
    except AzuriteError as error:
        sys.exit(f"python -m emulator: {error}")


if __name__ == "__main__":
    main()
