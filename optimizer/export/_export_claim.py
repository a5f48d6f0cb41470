"""Which worker writes a completed study's presets, recorded in the study, and when a preset file is current.

The rule is exact, not a time window: the worker that completes a study's last trial claims the export
(study user attr ``mgopt:export:v1``: the number of COMPLETE trials it exports, its ``host:pid``, a token and a
heartbeat) and writes the file; a worker that finds the study already complete reports the presets as up to
date only when the file's provenance says it was built from the study's current COMPLETE trials, and otherwise
waits for a live claim holder or takes the export over from a dead one (heartbeat silent for five intervals,
released on an error or interrupt, or a process of this machine that no longer exists).

COMPLETE trials are never removed or reopened in Optuna, so their count identifies the completed set: a file
whose ``provenance.n_trials_complete`` equals it was built from every trial the study has completed.

Optuna's storages offer no compare-and-set on study attrs; a claim is written, then read back, and the
worker whose token is read back holds it (the last writer wins in both the RDB and the journal storage).
Only two workers taking over a dead claim within the same few milliseconds can both export (the same file,
each atomically). A holder is judged gone at once when it is a process of this machine (same host name) that
no longer exists; containers that share a host name but not a PID namespace would defeat that check.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import optuna
from optuna.trial import TrialState

from optimizer import _keys
from optimizer._digits import is_decimal
from optimizer._payloads import StoredForm, read, write
from optimizer._trial_payloads import HeartbeatTime, Worker
from optimizer.search import WORKER_ID

__all__ = ["STALE_INTERVALS", "ClaimKeeper", "ExportClaim", "presets_current", "read_claim", "take_export_turn"]

STALE_INTERVALS = 5
"""A claim whose heartbeat is older than this many of its intervals belongs to a dead worker (as for trials)."""


def _pid_gone(worker: str) -> bool:
    """True when ``worker`` (``host:pid``) is a process of this machine that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not is_decimal(pid):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        return False
    return False


@dataclass(frozen=True)
class ExportClaim(StoredForm):
    """A worker's claim to write the presets built from ``complete`` COMPLETE trials.

    Attributes:
        complete: number of COMPLETE trials the export is built from, >= 1.
        worker: ``host:pid`` of the claiming worker.
        token: unique per claim; the claim read back with this token is held.
        heartbeat: Unix time (seconds) of the holder's last sign of life.
        interval: seconds between the holder's heartbeats, > 0.
        released: the holder gave the claim up (finished, failed or interrupted).
    """

    KEY: ClassVar[str] = _keys.EXPORT

    complete: int
    worker: str
    token: str
    heartbeat: float
    interval: float
    released: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored under ``mgopt:export:v1``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ExportClaim | None:
        """The claim stored as ``data``, or None for anything that is not one (absent, older or garbled)."""
        try:
            return cls(complete=int(data["complete"]), worker=str(data["worker"]), token=str(data["token"]),
                       heartbeat=float(data["heartbeat"]), interval=float(data["interval"]),
                       released=bool(data.get("released", False)))
        except (KeyError, TypeError, ValueError):
            return None

    def alive(self, now: float | None = None) -> bool:
        """The holder is still exporting: not released, heartbeat fresh, and not a vanished local process."""
        now = time.time() if now is None else now
        return (not self.released and now - self.heartbeat <= STALE_INTERVALS * self.interval
                and not _pid_gone(self.worker))


def read_claim(study: optuna.Study) -> ExportClaim | None:
    """The study's export claim as stored now (read from the storage), or None."""
    return read(study, ExportClaim)


def presets_current(study: optuna.Study, path: Path, complete: int | None = None) -> bool:
    """True when ``path`` is a preset file of this study built from all of its ``complete`` COMPLETE trials
    (counted now when None). A missing, unreadable or foreign file, or one from fewer trials, is not current."""
    if complete is None:
        complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))["provenance"]
        return provenance["study"] == study.study_name and int(provenance["n_trials_complete"]) == complete
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _finisher_may_still_claim(study: optuna.Study, interval: float, now: float) -> bool:
    """No claim yet: the worker that completed the last trial may be about to claim. It may for five heartbeat
    intervals after its last beat on that trial, unless it is a process of this machine that no longer exists."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return False
    last = max(complete, key=lambda t: (t.datetime_complete or datetime.min, t.number))
    worker = stored.id if (stored := read(last, Worker)) is not None else ""
    if worker and _pid_gone(worker):
        return False
    beat = read(last, HeartbeatTime)
    if beat is None:
        return False  # told by a process without heartbeats (the dashboard, an older version): nobody will claim
    return now - beat.time <= (STALE_INTERVALS + 1) * interval


def _try_claim(study: optuna.Study, complete: int, interval: float) -> ExportClaim | None:
    mine = ExportClaim(complete=complete, worker=WORKER_ID, token=uuid.uuid4().hex, heartbeat=time.time(),
                       interval=interval)
    write(study, mine)
    back = read_claim(study)
    return mine if back is not None and back.token == mine.token else None


def take_export_turn(study: optuna.Study, path: Path, *, interval: float, finisher: bool,
                     on_wait: Callable[[ExportClaim | None], None] = lambda claim: None,
                     poll: float | None = None) -> ExportClaim | None:
    """Wait until either this worker holds the export claim for the study's COMPLETE trials (returned: export,
    then release it through :class:`ClaimKeeper`) or ``path`` is current (None: nothing to do).

    Args:
        study: the study.
        path: the preset file.
        interval: this worker's heartbeat interval in seconds, > 0 (the claim's liveness is judged on it).
        finisher: this worker completed the study's last trial, so it claims at once instead of first waiting
            for that trial's worker to claim.
        on_wait: called once each time the worker starts waiting, with the claim it waits for (None: it waits
            for the last trial's worker to claim).
        poll: seconds between looks while waiting (default: ``min(interval, 2)``).
    """
    poll = min(interval, 2.0) if poll is None else poll
    waiting_for: object = ()
    while True:
        complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        claim = read_claim(study)  # before the file: a holder releases only after writing it
        if presets_current(study, path, complete):
            return None
        now = time.time()
        ours = claim is not None and claim.complete == complete
        if claim is not None and ours and claim.worker != WORKER_ID and claim.alive(now):
            holder: ExportClaim | None = claim
        elif not ours and not finisher and _finisher_may_still_claim(study, interval, now):
            holder = None
        else:
            mine = _try_claim(study, complete, interval)
            if mine is not None:
                return mine
            continue  # another worker's claim was read back: judge it like any other
        key = holder.token if holder is not None else None
        if key != waiting_for:
            on_wait(holder)
            waiting_for = key
        time.sleep(poll)


class ClaimKeeper:
    """Keeps ``claim`` alive while its holder exports (a heartbeat thread) and releases it on exit, whether the
    export succeeded, failed or was interrupted; a claim taken over by another worker is left alone.

    Args:
        study: the study.
        claim: a claim this worker holds (from :func:`take_export_turn`).
    """

    def __init__(self, study: optuna.Study, claim: ExportClaim) -> None:
        self.study = study
        self.claim = claim
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mgopt-export-claim", daemon=True)

    def __enter__(self) -> ClaimKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, 2 * self.claim.interval))
        self._update(released=True)

    def _run(self) -> None:
        while not self._stop.wait(self.claim.interval):
            self._update(released=False)

    def _update(self, *, released: bool) -> None:
        try:
            current = read_claim(self.study)
            if current is not None and current.token == self.claim.token:
                write(self.study, replace(self.claim, heartbeat=time.time(), released=released))
        except Exception:  # a storage outage: the claim goes stale and another worker takes the export over
            pass
