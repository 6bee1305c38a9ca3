"""A consumer running as a client subprocess that prints "READY", then one JSON line per message; the lines
are collected as they arrive and tests wait on them with a condition (no sleeps)."""
from __future__ import annotations

import json
import signal
import subprocess
import threading


# One condition for every consumer: a test that waits on one consumer for messages that may land on another
# (a clustering group) is woken by each arrival anywhere, instead of sleeping until its timeout.
_ARRIVALS = threading.Condition()


class ConsumerProcess:
    def __init__(self, args: list[str], env: dict[str, str], cwd, start_timeout: float = 60,
                 expect_ready: bool = True) -> None:
        """With `expect_ready` False a client that exits before "READY" (ali-ons when the broker refuses its
        start) is not an error: its error lines are in `errors`."""
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env, cwd=cwd)
        self.messages: list[dict] = []
        self.errors: list[dict] = []
        self.ready = False
        self.cond = _ARRIVALS
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        with self.cond:
            self.cond.wait_for(lambda: self.ready or self.proc.poll() is not None, timeout=start_timeout)
        assert self.ready or not expect_ready, f"consumer did not start: {self.errors}"

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.cond:
                if line.strip() == '"READY"':
                    self.ready = True
                elif line.startswith("{"):
                    d = json.loads(line)
                    (self.errors if "error" in d or "fatal" in d else self.messages).append(d)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float = 60) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self.messages), timeout=timeout)

    def pause(self) -> None:
        """Freeze the client (SIGSTOP): it sends nothing until resume(); answers to requests it already sent
        wait in its socket."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Closing stdin asks the client to exit; a client that ignores it is killed."""
        if self.proc.poll() is None:
            self.resume()
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
