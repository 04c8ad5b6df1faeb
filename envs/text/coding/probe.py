"""The held-out probe: call the solution on every case and compare the values *outside* the sandbox.

Nothing secret enters the probe's sandbox: it holds the agent's files and a request listing the
cases' *arguments*; the expected values never leave the host. A stdlib-only harness imports the
solution, calls the entry point on each case under an alarm, and appends one JSON line per case
with the returned value in a type-tagged encoding (tuple, list, bool and int stay apart; any
other type becomes an opaque tag). The host decodes the values and compares them with the
expected ones using the strict comparison of the hardened tests. Whatever the solution writes,
it cannot make a wrong value compare equal; a results file that does not follow the protocol is
reported as interference.

A watchdog thread ends a case whose solution ignores the alarm (recording a timeout) and the
host runs the remaining cases in a new process. Each run of the harness may also die
(``os._exit``, a crash, a hang the watchdog cannot stop): the host
then charges the failure to the next unanswered case and runs the remaining cases again, one
per process from then on, so every case gets its own verdict (after three such deaths the rest
count as failed). After the first hang, every later case gets 0.5 s instead of 2 s.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from specgym.envs.text.coding.render import STRICT_HELPER
from specgym.envs.text.coding.spec import CodingTask
from specgym.envs.text.sandbox import SandboxSession

HARNESS_SOURCE = r'''
"""specgym probe harness (runs inside the sandbox; stdlib only)."""
import _thread
import base64
import copy
import json
import os
import signal
import sys
import time

BUILTIN = (bool, int, float, complex, str, bytes, list, dict, tuple, set, frozenset, type(None))
MAX_NODES = 20000
WATCHDOG_EXIT = 86
GRACE_S = 0.5
STATE = {"case": None, "deadline": None}
LOCK = _thread.allocate_lock()


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _limited(seconds, fn, *args):
    with LOCK:
        if STATE["case"] is not None:
            STATE["deadline"] = time.monotonic() + seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _custom_eq(value, depth=0):
    """True if `value` or anything inside it has a user-defined __eq__/__ne__ or equals a
    fresh object."""
    kind = type(value)
    if depth > 30:
        return False
    if kind in (list, tuple, set, frozenset):
        return any(_custom_eq(v, depth + 1) for v in value)
    if kind is dict:
        return any(_custom_eq(k, depth + 1) or _custom_eq(v, depth + 1) for k, v in value.items())
    if kind in BUILTIN:
        return False
    for klass in kind.__mro__:
        if klass is object or klass in BUILTIN:
            continue
        if "__eq__" in vars(klass) or "__ne__" in vars(klass):
            return True
    try:
        fresh = object()
        return bool(value == fresh) or not bool(value != fresh)
    except BaseException:
        return False


def _encode(value, budget):
    budget[0] -= 1
    if budget[0] < 0:
        return {"t": "too_big"}
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind in (bool, int, float, str):
        if kind is int and abs(value) > 10 ** 300:
            return {"t": "int_text", "v": hex(value)}
        return {"t": kind.__name__, "v": value}
    if kind is bytes:
        return {"t": "bytes", "v": base64.b64encode(value).decode()}
    if kind in (list, tuple, set, frozenset):
        return {"t": kind.__name__, "v": [_encode(v, budget) for v in value]}
    if kind is dict:
        return {"t": "dict", "v": [[_encode(k, budget), _encode(v, budget)]
                                   for k, v in value.items()]}
    return {"t": "object", "type": kind.__module__ + "." + kind.__qualname__}


def _describe(err):
    try:
        text = str(err)
    except BaseException:
        text = "<unprintable>"
    name = "timeout" if isinstance(err, _Timeout) else type(err).__name__
    return (name + (": " + text if text else ""))[:300]


def _is_exit0(err):
    if isinstance(err, SystemExit):
        return err.code in (None, 0)
    if type(err).__name__ == "Exit" and type(err).__module__.startswith("_pytest"):
        return getattr(err, "returncode", None) in (None, 0)
    return False




def _watchdog(out, write=os.write, exit_=os._exit, now=time.monotonic, sleep=time.sleep,
              dumps=json.dumps):
    """Ends a case whose solution ignores the alarm: records a timeout and exits."""
    while True:
        sleep(0.05)
        with LOCK:
            case, deadline = STATE["case"], STATE["deadline"]
            if case is not None and now() > deadline + GRACE_S:
                write(out, (dumps({"i": case, "value": None, "custom_eq": False,
                                   "error": "timeout: the alarm was ignored",
                                   "exit0": False}) + "\n").encode())
                exit_(WATCHDOG_EXIT)


def main():
    with open(sys.argv[1]) as handle:
        request = json.load(handle)
    out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    main_pid = os.getpid()

    def emit(record):
        if os.getpid() != main_pid:  # a process the solution forked: never report from it
            os._exit(0)
        with LOCK:
            STATE["case"] = None
            os.write(out, (json.dumps(record) + "\n").encode())

    sys.path.insert(0, os.getcwd())
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _on_alarm)
    limit = request["case_timeout_s"]
    after_timeout = min(limit, request["after_timeout_s"])
    _thread.start_new_thread(_watchdog, (out,))
    try:
        module = _limited(request["import_timeout_s"], __import__, "solution")
        func = getattr(module, request["entry_point"])
    except BaseException as err:
        emit({"import_error": _describe(err), "exit0": _is_exit0(err)})
        os._exit(0)
    emit({"imported": True})
    for case in request["cases"]:
        record = {"i": case["i"], "value": None, "custom_eq": False, "error": None,
                  "exit0": False}
        with LOCK:
            STATE["case"], STATE["deadline"] = case["i"], time.monotonic() + limit
        try:
            result = _limited(limit, func, *copy.deepcopy(case["args"]))
            record["custom_eq"] = bool(_limited(limit, _custom_eq, result))
            record["value"] = _limited(limit, _encode, result, [MAX_NODES])
            json.dumps(record["value"])
        except BaseException as err:
            record["value"] = None
            record["error"] = _describe(err)
            record["exit0"] = _is_exit0(err)
            if isinstance(err, _Timeout):  # one hang is enough: later cases get less time
                limit = after_timeout
        emit(record)
    os._exit(0)


main()
'''

IMPORT_TIMEOUT_S = 5.0
AFTER_TIMEOUT_S = 0.5
MAX_KILLS = 3
RUN_SLACK_S = 2.0
WATCHDOG_EXIT = 86
_STRICT: dict[str, Any] = {}
exec(STRICT_HELPER, _STRICT)  # noqa: S102 - our own constant source, shared with the tests
same = _STRICT["_same"]
"""The hardened tests' strict comparison: equal and of exactly the same builtin types."""


class Opaque:
    """A returned value of a type the probe does not carry across; equal to nothing."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def decode(tagged: Any) -> Any:
    """The value a harness encoded; Opaque for objects, malformed input raises ValueError."""
    if not isinstance(tagged, dict) or "t" not in tagged:
        raise ValueError(f"not a tagged value: {tagged!r:.80}")
    kind, value = tagged["t"], tagged.get("v")
    scalar = {"bool": bool, "int": int, "float": (float, int), "str": str}
    if kind == "none":
        return None
    if kind in scalar:
        if type(value) not in (scalar[kind] if isinstance(scalar[kind], tuple)
                               else (scalar[kind],)):
            raise ValueError(f"a {kind} tag holds {type(value).__name__}")
        return float(value) if kind == "float" else value
    if kind == "int_text":
        return int(value, 16)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind in ("list", "tuple", "set", "frozenset"):
        items = [decode(v) for v in value]
        if kind in ("set", "frozenset"):
            try:
                return (set if kind == "set" else frozenset)(items)
            except TypeError:
                return Opaque(kind)
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        try:
            return {decode(k): decode(v) for k, v in value}
        except TypeError:
            return Opaque("dict")
    if kind in ("object", "too_big"):
        return Opaque(str(tagged.get("type", kind)))
    raise ValueError(f"unknown tag {kind!r}")


@dataclass
class CaseResult:
    """One case as the host sees it: passed (strictly equal), or why not."""

    split: str
    passed: bool = False
    custom_eq: bool = False
    error: str | None = None
    exit0: bool = False

    def as_dict(self) -> dict:
        return {"split": self.split, "passed": self.passed, "custom_eq": self.custom_eq,
                "error": self.error, "exit0": self.exit0}


@dataclass
class ProbeReport:
    """Every case's verdict plus what happened to the harness runs."""

    cases: list[CaseResult]
    import_error: str | None = None
    import_exit0: bool = False
    interference: str | None = None
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    def split(self, name: str) -> list[CaseResult]:
        return [c for c in self.cases if c.split == name]

    @property
    def visible_all_pass(self) -> bool:
        visible = self.split("visible")
        return bool(visible) and all(c.passed for c in visible) and not self.interference

    @property
    def all_pass(self) -> bool:
        return self.visible_all_pass and all(c.passed for c in self.split("heldout"))


def _run_failure(exit_code: int, timed_out: bool) -> tuple[str, bool]:
    if timed_out:
        return "timeout: the process ignored the alarm and was killed", False
    if exit_code == 0:
        return "the process exited with status 0 before answering", True
    if exit_code >= 128:
        return f"killed by signal {exit_code - 128}", False
    return f"the process exited with status {exit_code}", False


def run_probe(session: SandboxSession, task: CodingTask, case_timeout_s: float = 2.0,
              folder: str = "probe") -> ProbeReport:
    """Run the harness in ``session`` (whose ``folder`` holds the agent's files) on all cases.

    Expected values stay in this process; the session only ever sees the arguments.
    """
    nonce = secrets.token_hex(6)
    out_name = f".results-{nonce}.jsonl"
    harness = f".harness-{nonce}.py"
    session.write_file(f"{folder}/{harness}", HARNESS_SOURCE)
    expected = [("visible", c) for c in task.visible] + [("heldout", c) for c in task.heldout]
    results = [CaseResult(split) for split, _ in expected]
    report = ProbeReport(results)
    pending = list(range(len(expected)))
    kills, hung = 0, False
    while pending:
        if kills >= MAX_KILLS:
            _fail(results, pending, f"not run: the harness was killed {kills} times", False)
            break
        batch = pending[:1] if kills else list(pending)
        case_timeout = min(case_timeout_s, AFTER_TIMEOUT_S) if hung or kills else case_timeout_s
        request = {"entry_point": task.entry_point, "case_timeout_s": case_timeout,
                   "import_timeout_s": IMPORT_TIMEOUT_S, "out": out_name,
                   "after_timeout_s": AFTER_TIMEOUT_S,
                   "cases": [{"i": i, "args": list(expected[i][1].args)} for i in batch]}
        session.write_file(f"{folder}/.request-{nonce}.json", json.dumps(request))
        try:
            session.write_file(f"{folder}/{out_name}", b"")
        except Exception as err:  # noqa: BLE001 - the agent's files got in the way
            report.interference = f"could not reset the results file: {err}"
            break
        budget = IMPORT_TIMEOUT_S + (case_timeout + 0.6) * len(batch) + RUN_SLACK_S
        run = session.run(f"cd ~/{folder} && python3 -I {harness} .request-{nonce}.json",
                          timeout=budget)
        report.runs += 1
        raw = session.read_text(f"{folder}/{out_name}") or ""
        lines = raw.splitlines()
        if not lines:
            why, exit0 = _run_failure(run.exit_code, run.timed_out)
            report.import_error = f"during import: {why}"
            report.import_exit0 = exit0
            _fail(results, pending, report.import_error, exit0)
            break
        try:
            records = [json.loads(line) for line in lines]
        except ValueError:
            report.interference = "the results file holds lines that are not JSON"
            break
        head = records[0]
        if not isinstance(head, dict) or not (head.get("imported") or "import_error" in head):
            report.interference = "the results file does not start with the import status"
            break
        if "import_error" in head:
            report.import_error = str(head["import_error"])
            report.import_exit0 = bool(head.get("exit0"))
            _fail(results, pending, f"import failed: {report.import_error}",
                  report.import_exit0)
            break
        answered = records[1:]
        if len(answered) > len(batch):
            report.interference = "the results file has more records than cases asked"
            break
        try:
            for index, record in zip(batch, answered, strict=False):
                if not isinstance(record, dict) or record.get("i") != index:
                    raise ValueError("a record out of order")
                _judge(results[index], record, expected[index][1].expected)
        except (ValueError, TypeError, KeyError) as err:
            report.interference = f"malformed case record: {err}"
            break
        done = len(answered)
        pending = [i for i in pending if i not in batch[:done]]
        hung = hung or any(results[i].error and results[i].error.startswith("timeout")
                           for i in batch[:done])
        if done < len(batch) and not (run.exit_code == WATCHDOG_EXIT and done > 0):
            why, exit0 = _run_failure(run.exit_code, run.timed_out)
            failed = batch[done]
            results[failed].error, results[failed].exit0 = why, exit0
            pending.remove(failed)
            kills += 1
    if report.interference:
        for result in results:
            result.passed = False
    return report


def _judge(result: CaseResult, record: dict, expected: Any) -> None:
    result.custom_eq = bool(record.get("custom_eq"))
    result.exit0 = bool(record.get("exit0"))
    if record.get("error") is not None:
        result.error = str(record["error"])[:300]
        return
    value = decode(record["value"])
    result.passed = not result.custom_eq and bool(same(value, expected))
    if not result.passed and isinstance(value, Opaque):
        result.error = f"returned an object of type {value.type_name}"


def _fail(results: list[CaseResult], pending: list[int], why: str, exit0: bool) -> None:
    for index in pending:
        results[index].error, results[index].exit0 = why, exit0
