"""``python -m verizon_sdk``: the ``verizon-licenses`` command."""

from verizon_sdk.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
