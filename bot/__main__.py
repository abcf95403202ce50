"""The `parity-bot` command: the console script and `python -m bot`.

A one-shot command turns the cyclic garbage collector off before bot.cli and the analysis
modules are imported: their rule tables and record classes set off about 18 collections
while they load (4-5 ms of a one-file `check`). bot.cli.run says why it stays off.
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

from bot import LONG_RUNNING


def run() -> NoReturn:
    if not (len(sys.argv) > 1 and sys.argv[1] in LONG_RUNNING):
        gc.disable()
    from bot.cli import run as run_command

    run_command()


if __name__ == "__main__":  # not when a spawned worker process imports it
    run()
