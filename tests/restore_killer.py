"""`flask` as the admin runs it, killed by SIGKILL at a chosen moment (test code only,
imported by nothing): LECKO_KILL_AT=rename:N dies just before the Nth rename (os.rename
or os.replace), write:N just after opening the Nth file for writing, spawn:N just after
starting the Nth process (pg_dump, psql…, which live on). Without it, the command runs
to its end and prints how many of each it made ("KILL POINTS rename=… write=… spawn=…")
on stderr, so a test can aim at every one.

    python tests/restore_killer.py --app app backup restore FILE --force
"""

import atexit
import builtins
import os
import signal
import subprocess
import sys

KIND, _, NUMBER = os.environ.get("LECKO_KILL_AT", "").partition(":")
COUNTS = {"rename": 0, "write": 0, "spawn": 0}


def reached(kind: str) -> None:
    COUNTS[kind] += 1
    if kind == KIND and COUNTS[kind] == int(NUMBER):
        os.kill(os.getpid(), signal.SIGKILL)


def counting_rename(real):
    def rename(*args, **kwargs):
        reached("rename")
        return real(*args, **kwargs)

    return rename


real_open = builtins.open


def counting_open(file, mode="r", *args, **kwargs):
    handle = real_open(file, mode, *args, **kwargs)
    if any(flag in mode for flag in "wxa+"):
        reached("write")
    return handle


real_spawn = subprocess.Popen._execute_child


def counting_spawn(*args, **kwargs):
    real_spawn(*args, **kwargs)
    reached("spawn")


os.rename, os.replace = counting_rename(os.rename), counting_rename(os.replace)
builtins.open = counting_open
subprocess.Popen._execute_child = counting_spawn
if not KIND:
    atexit.register(lambda: print("KILL POINTS " + " ".join(
        f"{kind}={count}" for kind, count in COUNTS.items()), file=sys.stderr))

from flask.cli import main  # noqa: E402 - after the patches, as the command would be

sys.argv[0] = "flask"
main()
