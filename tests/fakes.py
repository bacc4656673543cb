"""Fakes for the parts a test wants to watch rather than run."""

from __future__ import annotations

from typing import Any

from shopcore.queue import JobCall


class RecordingQueue:
    """A job queue that keeps what was handed to it, for the test to run when it chooses."""

    backend = "recording"

    def __init__(self) -> None:
        self.calls: list[JobCall] = []

    def dispatch(self, call: JobCall) -> None:
        self.calls.append(call)

    def state(self) -> dict[str, Any]:
        return {"backend": self.backend, "ok": True, "queued": len(self.calls)}

    def take(self) -> list[JobCall]:
        calls, self.calls = self.calls, []
        return calls
