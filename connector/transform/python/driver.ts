/**
 * The trusted Python side of the sandbox: compiles the user's source with restricted builtins,
 * then runs `transform` per customer over a batch passed in as one JSON string, collecting one
 * JSON string of outcomes. It only ever exchanges strings and integers with JavaScript.
 *
 * These restrictions are guard rails, not the security boundary (Python cannot be sandboxed
 * from inside itself); the boundary is the locked-down JavaScript realm and process around the
 * interpreter (see ../python.ts).
 */
export const PYTHON_DRIVER = String.raw`
import builtins as _builtins
import json as _json
import sys as _sys
import time as _time
import datetime as _datetime
import decimal as _decimal

ALLOWED_MODULES = frozenset("""
abc array base64 binascii bisect calendar cmath collections colorsys copy csv dataclasses datetime
decimal difflib enum fractions functools hashlib heapq hmac html ipaddress itertools json math
numbers operator pprint random re secrets statistics string struct textwrap time typing
unicodedata uuid zlib
""".split())

BLOCKED_ROOTS = frozenset(["js", "pyodide_js", "ctypes", "_ctypes", "micropip"])


class _Blocker:
    """First on sys.meta_path: these modules are never importable again."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED_ROOTS:
            raise ImportError("module '%s' is not available in transformations" % name)
        return None


_sys.meta_path.insert(0, _Blocker)
for _name in list(_sys.modules):
    if _name.partition(".")[0] in BLOCKED_ROOTS:
        del _sys.modules[_name]

_real_import = _builtins.__import__
_real_sleep = _time.sleep


def _sleep(seconds):
    # Pyodide's sleep waits inside WebAssembly without looking at the interrupt buffer, so the
    # time limit could only stop it by replacing the interpreter (seconds of reloading). In
    # short slices, the interrupt lands between two of them like in any Python loop.
    if not isinstance(seconds, (int, float)) or not seconds > 0:
        return _real_sleep(seconds)
    end = _time.monotonic() + seconds
    while True:
        left = end - _time.monotonic()
        if left <= 0:
            return None
        _real_sleep(min(left, 0.02))


_time.sleep = _sleep


def _safe_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level != 0:
        raise ImportError("relative imports are not available in transformations")
    if name.partition(".")[0] not in ALLOWED_MODULES:
        raise ImportError(
            "import of '%s' is not allowed in transformations; allowed modules: %s"
            % (name, ", ".join(sorted(ALLOWED_MODULES)))
        )
    return _real_import(name, globals, locals, fromlist, level)


def _no_files(*args, **kwargs):
    raise PermissionError("file access is not available in transformations")


def _unavailable(name):
    def refuse(*args, **kwargs):
        raise RuntimeError("%s() is not available in transformations" % name)

    return refuse


SAFE_BUILTINS = dict(_builtins.__dict__)
for _name in ("__loader__", "__spec__", "copyright", "credits", "license"):
    SAFE_BUILTINS.pop(_name, None)
for _name in ("input", "breakpoint", "help", "exit", "quit"):
    SAFE_BUILTINS[_name] = _unavailable(_name)
SAFE_BUILTINS["__import__"] = _safe_import
SAFE_BUILTINS["open"] = _no_files

_transform = None
_records = []
_out = []
_timeout_s = 1.0
_timeout_ms = 1000
_memory_mb = 128


def _default(value):
    if isinstance(value, (_datetime.datetime, _datetime.date, _datetime.time)):
        return value.isoformat()
    if isinstance(value, _decimal.Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError("values of type %s cannot be converted to JSON" % type(value).__name__)


def _dumps(value):
    return _json.dumps(value, default=_default, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _user_line(error):
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<transform>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(error):
    try:
        text = "%s: %s" % (type(error).__name__, error)
    except BaseException:
        text = type(error).__name__
    line = _user_line(error)
    if line is not None:
        text += " (line %d)" % line
    return text[:1000]


def _init(source, timeout_ms, memory_mb):
    global _transform, _timeout_s, _timeout_ms, _memory_mb
    _timeout_ms = timeout_ms
    _timeout_s = timeout_ms / 1000.0
    _memory_mb = memory_mb
    try:
        code = compile(source, "<transform>", "exec")
    except SyntaxError as error:
        return _dumps({"error": "syntax", "line": error.lineno, "message": "%s: %s" % (type(error).__name__, error.msg)})
    namespace = {"__builtins__": SAFE_BUILTINS, "__name__": "transformation"}
    try:
        exec(code, namespace)
    except KeyboardInterrupt:
        return _dumps({"error": "timeout"})
    except BaseException as error:
        return _dumps({"error": "load", "line": _user_line(error), "message": _describe(error)})
    candidate = namespace.get("transform")
    if not callable(candidate):
        return _dumps({"error": "missing"})
    _transform = candidate
    return _dumps({"ok": True})


def _load(batch):
    global _records, _out
    _records = _json.loads(batch)
    _out = [None] * len(_records)
    return len(_records)


def _call(customer):
    started = _time.monotonic()
    try:
        return _transform(customer)
    except KeyboardInterrupt:
        # An interrupt meant for the previous customer can land just after it finished.
        if _time.monotonic() - started < _timeout_s / 2:
            return _transform(customer)
        raise


def _run(index):
    """Runs customer index; True when it timed out (the batch then stops there)."""
    try:
        result = _call(_records[index])
    except KeyboardInterrupt:
        return True
    except MemoryError:
        _out[index] = _dumps({"e": "MemoryError: ran out of memory: the sandbox is limited to memory_limit_mb (%d MB)" % _memory_mb})
        return False
    except BaseException as error:
        _out[index] = _dumps({"e": _describe(error)})
        return False
    if result is None:
        _out[index] = '{"s":1}'
    elif isinstance(result, dict):
        try:
            _out[index] = '{"r":' + _dumps(result) + "}"
        except KeyboardInterrupt:
            return True
        except BaseException as error:
            _out[index] = _dumps({"e": "the returned dict cannot be converted to JSON: " + _describe(error)})
    else:
        _out[index] = _dumps(
            {"e": "transform returned %s: return a dict (the record), or None to skip the customer" % type(result).__name__[:100]}
        )
    return False


def _collect(count):
    """The outcomes of the batch's first count customers, as JSON; the batch is then done."""
    global _records, _out
    out = "[" + ",".join(_out[:count]) + "]"
    _records = []
    _out = []
    return out
`;
