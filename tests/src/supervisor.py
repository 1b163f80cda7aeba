"""Run one command in this process group and take the whole group down when the harness goes away.

The harness starts this script in a new process group with a pipe on stdin. When the harness process ends for any
reason (normal exit, panic, Ctrl-C, SIGKILL) the kernel closes the pipe, the read below returns EOF, and the group
(the command and everything it forked, e.g. the gateway's sandbox workers or translate's stdio child) receives
SIGTERM, then SIGKILL after a grace period. If the command exits on its own, the rest of the group goes too.
"""

import os
import signal
import subprocess
import sys
import threading
import time


def main() -> None:
    grace = float(os.environ.pop("MCPFLEET_SUPERVISOR_GRACE", "10"))
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
    # Ignore only after the fork: the command keeps the default handlers, this process outlives the SIGTERM it sends.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(reason: str) -> None:
        print(f"[supervisor] {reason}: stopping process group {os.getpgid(0)}", file=sys.stderr, flush=True)
        try:
            os.killpg(0, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # forked workers shut down right after their parent
        os.killpg(0, signal.SIGKILL)  # includes this process

    def watch_harness() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop("harness gone")

    threading.Thread(target=watch_harness, daemon=True).start()
    code = child.wait()
    stop(f"command exited with status {code}")


if __name__ == "__main__":
    main()
