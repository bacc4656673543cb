"""The guarded Jinja2 sandbox that renders managers' email templates.

How runaway templates are stopped.  Jinja has no instruction counter, so every way a template
can do a lot of work with little text is guarded:
- every for-loop iteration and every call (macros, `caller()`, methods) spends one step of a
  per-render budget (MAX_STEPS), which also bounds nested loops and recursive macros;
- `range` yields at most MAX_RANGE items;
- `*`, `+`, `**` and `%` are intercepted: sequence repetition, concatenation and big-integer
  arithmetic are checked before they allocate, and `%` string formatting is refused;
- integer arguments to calls and filters are capped (`'a'.ljust(10**9)`, `x|center(10**9)`),
  `str.format` / `format_map` are not reachable, the `format`, `join` and `replace` filters are
  checked before they allocate, and every value a call, filter, `~` or block set produces is
  checked against MAX_VALUE_SIZE;
- the output is generated in chunks and stops past MAX_OUTPUT.
Remaining risk: a single step is only bounded by the caps above, so a pathological mix of
filters (e.g. `indent` with a long string on a long text) may allocate tens of MB before it is
refused, and the process can still be slowed for the length of one such step.  Renders run in
RQ jobs, whose job timeout kills the work horse; previews in the admin should be rate-limited.
"""

from __future__ import annotations

import contextvars
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes, pass_eval_context
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.filters import do_join, do_replace
from jinja2.runtime import Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_SOURCE = 200_000  # characters of MJML
MAX_STEPS = 100_000  # loop iterations + calls per render
MAX_RANGE = 1_000
MAX_INT_ARG = 10_000
MAX_VALUE_SIZE = 200_000  # characters of a string, items of a sequence
MAX_OUTPUT = 1_000_000  # characters of rendered HTML
MAX_BITS = 4_096  # of an integer made by * or **


class TemplateError(Exception):
    """A template that cannot be compiled or rendered; `line` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


class TemplateLimitExceeded(TemplateError):
    """A template tried to do more work or produce more output than a message may."""


_FORBIDDEN_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


def parse_template(source: str) -> nodes.Template:
    """Parse with the sandbox, refusing tags that load other templates."""
    try:
        ast = _html_env.parse(source)
    except TemplateSyntaxError as e:
        raise TemplateError(e.message or str(e), line=e.lineno) from e
    for node in ast.find_all(_FORBIDDEN_NODES):
        raise TemplateError("include, import and extends are not allowed", line=node.lineno)
    return ast


@lru_cache(maxsize=256)
def _template(source: str, *, html: bool) -> Template:
    """Parse, guard and compile once per template text: messages reuse the compiled code."""
    env = _html_env if html else _text_env
    return env.from_string(_guard_tree(parse_template(source)))


@contextmanager
def work_budget() -> Iterator[None]:
    """One budget of steps shared by everything rendered inside the block (one message)."""
    token = _budget.set(_Budget())
    try:
        yield
    finally:
        _budget.reset(token)


def render_source(source: str, context: Mapping[str, Any], *, html: bool) -> str:
    """Render ``source`` in the sandbox, autoescaped when ``html``, within the limits."""
    template = _template(source, html=html)
    size, chunks = 0, []
    try:
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimitExceeded(f"output longer than {MAX_OUTPUT} characters")
            chunks.append(chunk)
    except TemplateError:
        raise
    except JinjaTemplateError as e:  # SecurityError, UndefinedError, ...
        raise TemplateError(f"{type(e).__name__}: {e.message or e}") from e
    except (ArithmeticError, LookupError, ValueError, TypeError, RecursionError) as e:
        raise TemplateError(f"{type(e).__name__}: {e}") from e
    return "".join(chunks)


class _Budget:
    def __init__(self) -> None:
        self.steps = 0

    def spend(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimitExceeded(f"more than {MAX_STEPS} loop iterations and calls")


_budget: contextvars.ContextVar[_Budget] = contextvars.ContextVar("email_budget")


def _spend() -> None:
    try:
        budget = _budget.get()
    except LookupError:
        budget = _Budget()
        _budget.set(budget)
    budget.spend()


def _checked(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > MAX_VALUE_SIZE:
        raise TemplateLimitExceeded(f"a value longer than {MAX_VALUE_SIZE} was made")
    return value


def _check_args(args: Iterable[Any]) -> None:
    for arg in args:
        if isinstance(arg, int) and abs(arg) > MAX_INT_ARG:
            raise TemplateLimitExceeded(f"number argument larger than {MAX_INT_ARG}")


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _spend()
        yield item


def _safe_range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitExceeded(f"range longer than {MAX_RANGE}")
    return iter(numbers)


def _guard_tree(ast: nodes.Template) -> nodes.Template:
    """Count loop iterations and size-check `~` and block sets, whose code Jinja inlines."""
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
    for concat in list(ast.find_all(nodes.Concat)):
        inner = nodes.Concat(concat.nodes, lineno=concat.lineno)
        concat.nodes = [nodes.Filter(inner, "_checked", [], [], None, None, lineno=concat.lineno)]
    for block in ast.find_all(nodes.AssignBlock):
        if block.filter is None:
            block.filter = nodes.Filter(None, "_checked", [], [], None, None, lineno=block.lineno)
    return ast


def _guard_filter(func: Callable[..., Any]) -> Callable[..., Any]:
    passes_arg = hasattr(func, "jinja_pass_arg")

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_args(args[2 if passes_arg else 1 :])
        _check_args(kwargs.values())
        return _checked(func(*args, **kwargs))

    for attr in ("jinja_pass_arg", "__name__"):
        if hasattr(func, attr):
            setattr(guarded, attr, getattr(func, attr))
    return guarded


@pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if sum(len(str(i)) for i in items) + len(d) * len(items) > MAX_VALUE_SIZE:
        raise TemplateLimitExceeded("join would make too long a string")
    return do_join(eval_ctx, items, d, attribute)


@pass_eval_context
def _replace(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
    hits = len(str(s)) + 1 if old == "" else str(s).count(old)
    if len(str(s)) + hits * len(new) > MAX_VALUE_SIZE:
        raise TemplateLimitExceeded("replace would make too long a string")
    return do_replace(eval_ctx, s, old, new, count)


_PERCENT_SPEC_RE = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    for width, precision in _PERCENT_SPEC_RE.findall(str(value)):
        for number in (width, precision):
            if number == "*" or (number and int(number) > 100):
                raise TemplateLimitExceeded("format widths above 100 are not allowed")
    return str(value) % (kwargs or args)


class _GuardedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(autoescape=autoescape, undefined=StrictUndefined)
        self.globals = {
            "range": _safe_range,
            "dict": dict,
            "cycler": self.globals["cycler"],
            "joiner": self.globals["joiner"],
            "namespace": self.globals["namespace"],
        }
        self.filters.update({"join": _join, "replace": _replace, "format": _format})
        self.filters = {name: _guard_filter(f) for name, f in self.filters.items()}
        self.filters["_counted"] = _counted
        self.filters["_checked"] = _checked

    def wrap_str_format(self, value: Any) -> None:
        return None  # so is_safe_attribute below refuses str.format and format_map outright

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in ("format", "format_map"):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "%" and isinstance(left, str):
            raise SecurityError("use the format filter instead of % on strings")
        if operator_name == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left).bit_length() * right > MAX_BITS:
                raise TemplateLimitExceeded("number too large")
        if operator_name == "*":
            _check_product(left, right)
        if operator_name == "+" and isinstance(left, str | list | tuple):
            if isinstance(right, str | list | tuple) and len(left) + len(right) > MAX_VALUE_SIZE:
                raise TemplateLimitExceeded(f"a value longer than {MAX_VALUE_SIZE} was made")
        return _OPERATORS[operator_name](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _spend()
        if not isinstance(__obj, Macro):  # a macro's numbers are the manager's own data
            _check_args(args)
            _check_args(kwargs.values())
        return _checked(super().call(__context, __obj, *args, **kwargs))


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "+": operator.add,
    "**": operator.pow,
    "%": operator.mod,
}


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if abs(left).bit_length() + abs(right).bit_length() > MAX_BITS:
            raise TemplateLimitExceeded("number too large")
        return
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int):
            if len(seq) * times > MAX_VALUE_SIZE:
                raise TemplateLimitExceeded(f"a value longer than {MAX_VALUE_SIZE} was made")


_html_env = _GuardedSandbox(autoescape=True)
_text_env = _GuardedSandbox(autoescape=False)
