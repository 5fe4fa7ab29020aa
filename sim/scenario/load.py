"""Load scenario files: TOML, `extends` with deep merge, `--set` overrides, one-line errors."""

from __future__ import annotations

import hashlib
import json
import tomllib
import typing
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import InputError, InputWarning, did_you_mean, dotted
from sim.input_files import read_input_text
from sim.scenario.derive import IssueProfile, derive
from sim.scenario.schema import ACTOR_IDS, Scenario, ScenarioPathError
from sim.scenario.shipped import resolve_scenario_path, shipped_names, shipped_path


@dataclass
class LoadedScenario:
    """A validated scenario with where it came from."""

    scenario: Scenario
    path: Path
    document: dict[str, Any]  # the merged document, before validation
    chain: list[Path] = field(default_factory=list)  # the file, then what it extends, ...

    @property
    def hash(self) -> str:
        """SHA-256 of the resolved scenario (canonical JSON)."""
        return scenario_hash(self.scenario)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of a scenario's canonical JSON form."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_toml(path: Path, what: str = "scenario file") -> dict[str, Any]:
    """Parse one TOML file; syntax errors become one-line InputErrors with line and column.

    The file is checked before it is read: a regular file (not a FIFO or a device, nor a symlink
    to one) of at most `MAX_INPUT_BYTES` (`sim.input_files`)."""
    text = read_input_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), None, f"TOML syntax error: {exc}") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise InputError(str(path), None, f"expected a valid TOML value: {exc}") from None
    except RecursionError:
        raise InputError(str(path), None, "expected a TOML document of reasonable depth: arrays or tables nest too deeply") from None


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged into `base`: tables merge key by key, anything else (and distributions) replaces."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and "dist" not in value and "dist" not in old:
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out


def resolve_document(path: Path, _stack: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Path]]:
    """The merged document of `path` and the chain of files it extends."""
    path = path.resolve()
    doc = read_toml(path)
    chain = [path]
    parent = doc.get("extends")
    if parent is None:
        return doc, chain
    if not isinstance(parent, str):
        raise InputError(str(path), "extends", f"expected a file name (string), got {parent!r}")
    try:
        target = (path.parent / parent).resolve()
        found = target.is_file()
        if not found and (shipped := shipped_path(parent)) is not None and shipped.is_file():
            # A what-if written anywhere may extend a shipped scenario by name (`extends = "baseline.toml"`).
            target, found = shipped.resolve(), True
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop, ...
        found = False
    if not found:
        raise InputError(str(path), "extends", f"expected an existing scenario file, {parent!r} not found")
    if target in _stack + (path,):
        cycle = " -> ".join(p.name for p in (*_stack, path, target))
        raise InputError(str(path), "extends", f"expected no cycle of extends, got {cycle}")
    base, base_chain = resolve_document(target, _stack + (path,))
    merged = deep_merge(base, doc)
    if "name" not in doc:
        merged["name"] = path.stem
    return merged, chain + base_chain


def parse_set(expr: str) -> tuple[list[str], Any]:
    """Split `dotted.path=value`; the value is read as a TOML value, else as a bare string."""
    if "=" not in expr:
        raise InputError("--set", expr, "expected dotted.path=value")
    key, raw = expr.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise InputError("--set", key, "expected a dotted path like actors.us.aid_policy")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except ValueError:  # TOMLDecodeError, or an integer beyond Python's digit limit
        value = raw
    return parts, value


def apply_sets(doc: dict[str, Any], sets: list[str]) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """Apply `--set` overrides to a document; returns it and the paths that were set."""
    doc = _copy(doc)
    paths = []
    for expr in sets:
        parts, value = parse_set(expr)
        node: dict[str, Any] | list[Any] = doc
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):  # an entry of an array of tables, by index (events.0.week)
                node = _list_entry(node, part, parts, i)
                continue
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, (dict, list)):
                raise InputError("--set", ".".join(parts), f"expected a table at {'.'.join(parts[: i + 1])}, which holds a value")
            node = nxt
        if isinstance(node, list):
            _list_entry(node, parts[-1], parts, len(parts) - 1, tables_only=False)
            node[int(parts[-1])] = value
        else:
            old = node.get(parts[-1])
            if isinstance(old, dict) and isinstance(value, dict) and "dist" not in value:
                value = deep_merge(old, value)
            node[parts[-1]] = value
        paths.append(tuple(parts))
    return doc, paths


def _list_entry(node: list[Any], part: str, parts: list[str], i: int, tables_only: bool = True) -> Any:
    """The entry `part` (a 0-based index) of an array in a --set path, or a one-line error."""
    where = ".".join(parts[: i + 1])
    if not part.isdigit() or int(part) >= len(node):
        raise InputError("--set", ".".join(parts), f"expected an index from 0 to {len(node) - 1} at {where}, got {part!r}")
    entry = node[int(part)]
    if tables_only and not isinstance(entry, dict):
        raise InputError("--set", ".".join(parts), f"expected a table at {where}, which holds a value")
    return entry


def _copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


EVENT_FORBIDDEN = ("name", "title", "description", "extends", "rules", "start_date", "horizon_weeks", "issues", "statements", "events")
"""Top-level tables an event may not change: what the scenario is, not what happens in it."""


def event_scenario(scenario: Scenario, sets: list[str]) -> Scenario:
    """The scenario as it stands after an event's assignments (without its events); raises InputError."""
    doc = scenario.model_dump(mode="python", exclude={"events"}, exclude_none=True)
    changed, _ = apply_sets(doc, sets)
    return Scenario.model_validate(changed)


def check_capabilities(scenario: Scenario, file: str, set_paths: Sequence[tuple[str, ...]] = ()) -> None:
    """Capabilities are shares of the five actors: a scenario gives one for every actor or for none (then all are equal).
    The error names `--set` when a `--set` gave a capability that made the set incomplete."""
    given = {a: getattr(scenario.actors, a).capability is not None for a in ACTOR_IDS}
    if any(given.values()) and not all(given.values()):
        missing = next(a for a, g in given.items() if not g)
        from_set = any(p[:3] == ("actors", a, "capability") for p in set_paths for a, g in given.items() if g)
        raise InputError(
            "--set" if from_set else file,
            f"actors.{missing}.capability",
            f"expected a capability for every actor or for none (given for {', '.join(a for a, g in given.items() if g)})",
        )


def validate_events(scenario: Scenario, doc: dict[str, Any], file: str) -> None:
    """Each event's assignments name fields an event may change and give valid values (one-line InputError)."""
    base = {k: v for k, v in doc.items() if k != "events"}
    for i, event in enumerate(scenario.events):
        where = f"events.{i}"
        if event.week > scenario.horizon_weeks:
            raise InputError(file, where + ".week", f"expected a week within the horizon (1-{scenario.horizon_weeks}), got {event.week}")
        for j, expr in enumerate(event.set):
            try:
                parts, _ = parse_set(expr)
            except InputError as exc:
                raise InputError(file, f"{where}.set.{j}", exc.message) from None
            members = scenario.actors.europe.members
            if (
                parts[0] in EVENT_FORBIDDEN
                or "rules" in parts
                or "readings" in parts
                or (parts[:3] == ["actors", "europe", "members"] and len(parts) > 3 and parts[3] not in members)
                or parts[-1] in ("needs_us_backstop", "label", "sources")
            ):
                raise InputError(
                    file,
                    f"{where}.set.{j}",
                    f"expected a number, an override or a policy an event can change, got {'.'.join(parts)!r} "
                    "(events cannot change issues, statements, rules, members or the horizon)",
                )
        try:
            validate_document(apply_sets(base, event.set)[0], file)
        except InputError as exc:
            raise InputError(file, f"{where}.set", f"{exc.path}: {exc.message}" if exc.path else exc.message) from None


def validate_document(doc: dict[str, Any], file: str, set_paths: Sequence[tuple[str, ...]] = ()) -> Scenario:
    """Validate a merged document; the first problem becomes a one-line InputError."""
    try:
        scenario = Scenario.model_validate(doc)
        check_capabilities(scenario, file, set_paths)
        if scenario.events:
            validate_events(scenario, doc, file)
        return scenario
    except ValidationError as exc:
        # Unknown keys first: a misspelt required key then reads "unknown key ... (did you mean ...)", not "missing".
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]
        loc = tuple(err["loc"])
        message = err["msg"]
        ctx = err.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, ScenarioPathError):
            loc, message = (loc + tuple(cause.path) if cause.relative else tuple(cause.path)), cause.message
        elif err["type"] == "extra_forbidden":
            choices = _fields_at(Scenario, loc[:-1])
            message = f"unknown key {loc[-1]!r}" + did_you_mean(loc[-1], choices, listing="expected one of")
        elif err["type"] == "missing":
            message = "expected this field, which is missing"
        else:
            message = _expected(message, err)
        message = message.removeprefix("Value error, ")
        source = "--set" if any(loc[: len(p)] == p or p[: len(loc)] == loc for p in set_paths if loc) else file
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(source, dotted(loc) or None, message + more) from None
    except ScenarioPathError as exc:
        raise InputError(file, dotted(exc.path), exc.message) from None


def _expected(message: str, err: Mapping[str, Any]) -> str:
    text = message.removeprefix("Value error, ")
    if text.startswith("expected"):
        return text
    got = err.get("input")
    return f"expected: {text[0].lower() + text[1:]}" + (f", got {got!r}" if not isinstance(got, (dict, list)) else "")


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model class found by walking `loc` from `model` (for did-you-mean)."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return []
            annotation = info.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if len(models) == 1 else args[0]
            if annotation is args[0] and not models:
                return annotation
        else:
            return annotation


def load_scenario(path: str | Path, sets: Sequence[str] = ()) -> LoadedScenario:
    """Read, merge, override and validate a scenario file (a shipped one by name: `baseline`)."""
    path = resolve_scenario_path(path)
    if not path.exists():
        names = ", ".join(shipped_names())
        raise InputError(str(path), None, "expected an existing scenario file: not found" + (f" (shipped scenarios by name: {names})" if names else ""))
    doc, chain = resolve_document(path)
    if "name" not in doc:
        doc["name"] = path.stem
    doc, set_paths = apply_sets(doc, list(sets))
    scenario = validate_document(doc, str(path), set_paths)
    # Derivation problems (conflicting red lines) are input errors too: surface them now.
    try:
        profiles = derive(scenario)
    except ScenarioPathError as exc:
        raise InputError(str(path), dotted(exc.path), exc.message) from None
    _check_positions_within_red_lines(scenario, profiles, str(path), set_paths)
    return LoadedScenario(scenario, path, doc, chain)


def _check_positions_within_red_lines(
    scenario: Scenario, profiles: dict[str, dict[str, IssueProfile]], file: str, set_paths: Sequence[tuple[str, ...]]
) -> None:
    """An explicit position override outside the actor's own red lines on that issue is said in one line (an
    InputWarning): an actor that would refuse its own ideal point is more likely a typo than a scenario, but a
    what-if may mean it (the red line still costs what it costs)."""
    for actor, by_issue in profiles.items():
        overrides = getattr(scenario.actors, actor).overrides
        for issue, profile in by_issue.items():
            ov = overrides.get(issue)
            if ov is None or ov.position is None:
                continue
            low, high = profile.red_line_low.mean, profile.red_line_high.mean
            position = profile.position.mean
            if not low - 1e-12 <= position <= high + 1e-12:
                loc = ("actors", actor, "overrides", issue, "position")
                source = "--set" if any(loc[: len(p)] == p or p[: len(loc)] == loc for p in set_paths) else file
                warnings.warn(
                    InputWarning(
                        source,
                        dotted(loc),
                        f"a position outside {actor}'s own red lines on {issue}, "
                        f"[{low:g}, {high:g}]: {position:g} (move the red line too: red_line_low / red_line_high)",
                    ),
                    stacklevel=4,
                )


def scenario_files(target: str | Path) -> list[Path]:
    """A scenario file, or every `*.toml` scenario directly inside a folder (sorted, baseline first); a shipped
    scenario or folder by name (`baseline`, `textbook`) when no such file or folder exists."""
    target = resolve_scenario_path(target)
    if target.is_dir():
        files = sorted(p for p in target.glob("*.toml"))
        files.sort(key=lambda p: (p.stem != "baseline", p.stem))
        if not files:
            raise InputError(str(target), None, "expected a scenario file or a folder holding *.toml scenarios")
        return files
    return [target]
