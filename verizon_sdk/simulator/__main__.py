"""``python -m verizon_sdk.simulator --port N``: serve until Ctrl-C or SIGTERM."""

from verizon_sdk.simulator._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
