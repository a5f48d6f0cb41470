"""The layout table of docs/architecture.md matches the tree, and the packages keep the shape it describes: no import
cycle (module-level or inside functions), no module over 350 lines, every package a face with ``__all__``, and
imports that follow its layer table (no private reach into another package, no import up or sideways, no cycle
between packages)."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("optimizer", "objectives", "studies")
MAX_LINES = 350


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    found: set[str] = set()
    base = name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = base.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{anchor}.{module}" if module else anchor
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return {m for m in found if m in known and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk of ``graph`` meets (each as the path that closes it)."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_import_cycle_between_modules():
    modules = _modules()
    packages = {m for m, p in modules.items() if p.name == "__init__.py"}
    graph = {m: _imports(m, p, set(modules) - packages) for m, p in modules.items() if m not in packages}
    cycles = _cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_over_the_size_limit():
    big = {str(p.relative_to(ROOT)): n for p in _modules().values()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}


def test_the_architecture_doc_lists_every_package_and_nothing_else():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Layout"):]
    listed = set(re.findall(r"^\| `([a-z_/]+)/` \|", section, flags=re.M))
    packages = {str(p.parent.relative_to(ROOT)) for name in PACKAGES for p in (ROOT / name).rglob("__init__.py")}
    assert packages - {"studies"} <= listed, f"packages missing from docs/architecture.md: {packages - listed}"
    folders = {entry for entry in listed if "/" in entry or (ROOT / entry).is_dir()}
    assert all((ROOT / entry).is_dir() for entry in folders), [e for e in folders if not (ROOT / e).is_dir()]


# --- layers and faces (docs/architecture.md, "## Layers") ---------------------------------------------------------
# Another checkout's code can be checked against this table: MGOPT_LAYOUT_ROOT=/path/to/checkout pytest -k layer
CODE_ROOT = Path(os.environ.get("MGOPT_LAYOUT_ROOT", ROOT))
LIBRARY = ("optimizer", "objectives")


def _layer_table() -> dict[str, int]:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Layers"):]
    table = {}
    for number, modules in re.findall(r"^\| (\d+) [^|]*\| (.+) \|$", section, flags=re.M):
        table |= {name: int(number) for name in re.findall(r"`([a-z_.]+)`", modules)}
    return table


def _library() -> dict[str, tuple[Path, bool]]:
    """Every library module by dotted name (a package under its own name), with whether it is a package face."""
    out = {}
    for top in LIBRARY:
        for path in (CODE_ROOT / top).rglob("*.py"):
            parts = path.relative_to(CODE_ROOT).with_suffix("").parts
            face = parts[-1] == "__init__"
            out[".".join(parts[:-1] if face else parts)] = (path, face)
    return out


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _library_imports(path: Path, known: dict) -> list[tuple[str, int, bool]]:
    """``(imported module or face, line, only under TYPE_CHECKING)`` for every import of library code in ``path``:
    ``from pkg import name`` names the face ``pkg`` unless ``pkg.name`` is a module."""
    found = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            guarded = typing_only or _type_checking_only(child)
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, guarded) for a in child.names if a.name in known)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module in known:
                subs = [f"{child.module}.{a.name}" for a in child.names if f"{child.module}.{a.name}" in known]
                found.extend((t, child.lineno, guarded) for t in subs)
                if len(subs) < len(child.names):
                    found.append((child.module, child.lineno, guarded))
            if isinstance(child, ast.If) and _type_checking_only(child):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), True)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), typing_only)
            else:
                visit(child, guarded)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _package(module: str, modules: dict) -> str:
    return module if modules[module][1] else module.rsplit(".", 1)[0]


def _within(package: str, ancestor: str) -> bool:
    return package == ancestor or package.startswith(ancestor + ".")


def _edges() -> list[tuple[str, str, int, bool]]:
    modules = _library()
    return [(name, target, line, typing_only) for name, (path, _) in sorted(modules.items())
            for target, line, typing_only in _library_imports(path, modules)]


def test_no_module_imports_another_packages_private_module():
    modules = _library()
    reaches = [f"{name}:{line} -> {target}" for name, target, line, _ in _edges()
               if any(part.startswith("_") for part in target.split("."))
               and not _within(_package(name, modules), _package(target, modules))]
    assert reaches == [], f"{len(reaches)} imports reach past a package's face: " + "; ".join(reaches)


def test_imports_point_down_the_layer_table():
    modules, table = _library(), _layer_table()

    def layer(module: str) -> int:
        owners = [entry for entry in table if _within(module, entry)]
        assert owners, f"{module} is in no row of the layer table in docs/architecture.md"
        return table[max(owners, key=len)]

    wrong = []
    for name, target, line, typing_only in _edges():
        source, dest = _package(name, modules), _package(target, modules)
        if typing_only or _within(source, dest):
            continue
        if layer(target) > layer(name) or (layer(target) == layer(name) and not _within(dest, source)):
            wrong.append(f"{name}:{line} (layer {layer(name)}) -> {target} (layer {layer(target)})")
    assert wrong == [], "imports against the layer table: " + "; ".join(wrong)


def test_no_cycle_between_packages():
    modules = _library()
    graph: dict[str, set[str]] = {}
    for name, target, _, _ in _edges():
        source, dest = _package(name, modules), _package(target, modules)
        if not _within(source, dest):
            graph.setdefault(source, set()).add(dest)
    cycles = _cycles(graph)
    assert cycles == [], "package cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_every_package_face_exports_the_names_in_its_all():
    import importlib

    faces = {name: path for name, (path, face) in _library().items() if face}
    no_all = [name for name, path in faces.items()
              if not any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
                         for node in ast.parse(path.read_text(encoding="utf-8")).body)]
    assert no_all == [], f"package faces without __all__: {sorted(no_all)}"
    if CODE_ROOT != ROOT:
        return  # the names below are looked up in the imported (this checkout's) code
    missing = {name: [n for n in module.__all__ if not hasattr(module, n)]
               for name in sorted(faces) if (module := importlib.import_module(name))}
    assert {name: names for name, names in missing.items() if names} == {}


# Stored payloads go in and out only through their typed forms (issue 19): outside these modules no code spells a
# ``mgopt:`` key against user attrs (a subscript, ``.get`` or ``in`` on ``.user_attrs``, ``set_user_attr``,
# ``set_trial_user_attr``/``set_study_user_attr`` or an ``enqueue_trial(user_attrs=...)`` dict).
PAYLOAD_MODULES = {"optimizer/_payloads.py", "optimizer/_trial_payloads.py", "optimizer/_study_payloads.py",
                   "optimizer/_record_payloads.py"}
_SETTERS = {"set_user_attr", "set_trial_user_attr", "set_study_user_attr"}


def _key_names() -> set[str]:
    from optimizer import _keys

    return {n for n in dir(_keys) if isinstance(getattr(_keys, n), str) and getattr(_keys, n).startswith("mgopt:")}


def _names_a_key(node: ast.AST, names: set[str]) -> bool:
    """``node`` spells a payload key: ``_keys.X``, a name imported from ``_keys``, or a ``"mgopt:..."`` string."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "_keys":
            return True
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.startswith("mgopt:"):
            return True
    return False


def _on_user_attrs(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "user_attrs"


def raw_payload_accesses(path: Path, names: set[str]) -> list[int]:
    """Lines of ``path`` that read or write a ``mgopt:`` user attr by its key instead of its typed form."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        raw = False
        if isinstance(node, ast.Subscript) and _on_user_attrs(node.value):
            raw = _names_a_key(node.slice, names)
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            raw = any(_on_user_attrs(c) for c in node.comparators) and _names_a_key(node.left, names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if (node.func.attr == "get" and _on_user_attrs(node.func.value)) or node.func.attr in _SETTERS:
                raw = any(_names_a_key(a, names) for a in node.args[:2])
            raw = raw or any(k.arg == "user_attrs" and _names_a_key(k.value, names) for k in node.keywords)
        if raw:
            lines.append(node.lineno)
    return sorted(lines)


def test_payloads_are_read_and_written_only_through_their_typed_forms():
    names = _key_names()
    found = {}
    for top in ("optimizer", "objectives"):
        for path in sorted((CODE_ROOT / top).rglob("*.py")):
            rel = path.relative_to(CODE_ROOT).as_posix()
            if rel not in PAYLOAD_MODULES and (lines := raw_payload_accesses(path, names)):
                found[rel] = lines
    assert found == {}, ("read or write these through optimizer._payloads (read/has/require/write/user_attrs_of) and "
                        f"the payload classes, not by key: {found}")


def test_the_raw_payload_check_finds_each_form(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from optimizer import _keys\n"
                      "a = t.user_attrs[_keys.SCORES]\n"
                      "b = t.user_attrs.get(_keys.PARAMS, {})\n"
                      "c = _keys.WORKER in t.user_attrs\n"
                      "t.set_user_attr(_keys.objective_attr('clap'), 1.0)\n"
                      "s.enqueue_trial({}, user_attrs={_keys.BASELINE: 'x'})\n"
                      "d = s.user_attrs['mgopt:pairwise:v1']\n"
                      "e = s.user_attrs.get(STUDY_SPEC)\n"
                      "f = t.user_attrs.get('note')\n", encoding="utf-8")
    assert raw_payload_accesses(source, {"STUDY_SPEC"}) == [2, 3, 4, 5, 6, 7, 8]


def test_no_argparse_or_namespace_outside_the_command_line():
    """argparse lives only in ``optimizer/cli`` (issue 19): everything below it takes typed options
    (``optimizer.run.RunOptions``), so no other module imports argparse or names ``argparse.Namespace`` or a bare
    ``Namespace`` in an annotation."""
    found = []
    for name, path in sorted(_modules().items()):
        if name == "optimizer.cli" or name.startswith("optimizer.cli.") or name.startswith("studies"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "argparse" for a in node.names):
                found.append(f"{name}: import argparse")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "argparse":
                found.append(f"{name}: from argparse import ...")
            annotations = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                             *filter(None, (node.args.vararg, node.args.kwarg))]
                annotations = [a.annotation for a in arguments if a.annotation is not None]
                annotations += [node.returns] if node.returns is not None else []
            elif isinstance(node, ast.AnnAssign):
                annotations = [node.annotation]
            for annotation in annotations:
                text = ast.unparse(annotation)
                if "Namespace" in text:
                    found.append(f"{name}:{annotation.lineno}: annotation {text}")
    assert not found, f"argparse outside optimizer/cli: {found}"
