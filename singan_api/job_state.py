"""The proto's ``JobState`` as a Python enum, the one vocabulary of job states for server and client.

Hand-written (the only module here that ``proto/generate.py`` does not write); a test checks that it
mirrors ``singan_pb2.JobState`` value for value. Members are strings (``JobState.RUNNING == "RUNNING"``),
so they compare, print and serialise to JSON as the state's name.

Two questions, answered here and nowhere else:

- :attr:`JobState.final`: will the job never run again? SUCCEEDED, FAILED, CANCELLED.
- :attr:`JobState.ends_stream`: is this the last event a Train/WatchJob stream sends? The final states,
  and INTERRUPTED: the server is stopping, so the stream ends, but the job is not final: it resumes when
  the server starts again (and WatchJob then follows it).
"""

from __future__ import annotations

import enum

from . import singan_pb2 as pb

_PREFIX = "JOB_STATE_"


class JobState(str, enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    INTERRUPTED = "INTERRUPTED"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def proto(self) -> int:
        """The wire value (``pb.JOB_STATE_RUNNING``...)."""
        return pb.JobState.Value(_PREFIX + self.value)

    @classmethod
    def from_proto(cls, value: int) -> JobState:
        return cls(pb.JobState.Name(value).removeprefix(_PREFIX))

    @property
    def final(self) -> bool:
        """The job will never run again."""
        return self in _FINAL

    @property
    def ends_stream(self) -> bool:
        """No further event follows in this server's run (final, or INTERRUPTED by a server stop)."""
        return self in _FINAL or self is JobState.INTERRUPTED


_FINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
