"""The estate's YAML files as ruamel.yaml round-trip trees: edit them, keep comments and order, diff.

A request is applied to these trees (``ruamel.yaml``'s round-trip mode keeps comments, key
order, flow or block style and quoting), never to the files: ``texts()`` returns the new text
of each changed file and ``diff()`` the unified diff (``difflib``) against the files on disk.

ruamel re-renders a few constructs differently from how people wrote them (a flow mapping
continued on a second line is joined; ``[{cidr: x}]`` becomes ``[cidr: x]``). So the new text is
not ruamel's whole dump: the lines ruamel changed *because of the edit* (its dump before the edit
against its dump after it) are spliced into the original text, and every other line keeps its
original bytes. The splice is checked: the spliced text must parse to the same data as ruamel's
dump of the edited tree, or ruamel's dump is used as it is.
"""

from __future__ import annotations

import difflib
import io
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from tradeplane.errors import InputError, Location

__all__ = ["HOUSE_INDENT", "EstateDocument", "Indent", "append", "guess_indent", "insert_after", "node", "splice"]


Indent = tuple[int, int, int]
HOUSE_INDENT: Indent = (2, 4, 2)
"""(mapping, sequence, offset) as ``ruamel.yaml.YAML.indent`` takes them: the estates' own style,
``key:`` then ``  - item`` (PyYAML's dumps write ``- item`` under the key: (2, 2, 0))."""


def guess_indent(text: str) -> Indent:
    """The indentation a file is written with: a mapping's indent, and how far a block sequence's
    dash sits right of its key (the sequence indent is that plus the dash and its space)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    mapping = offset = None
    for prev, cur in itertools.pairwise(lines):
        head = prev.lstrip()
        if not head.rstrip().endswith(":") or head.startswith("- "):
            continue
        p_ind, c_ind = len(prev) - len(head), len(cur) - len(cur.lstrip())
        if cur.lstrip().startswith("- "):
            offset = c_ind - p_ind if offset is None and c_ind >= p_ind else offset
        elif c_ind > p_ind and mapping is None:
            mapping = c_ind - p_ind
        if mapping is not None and offset is not None:
            break
    m = mapping or HOUSE_INDENT[0]
    o = HOUSE_INDENT[2] if offset is None else offset
    return (m, o + 2, o)


def _yaml(indent: Indent = HOUSE_INDENT) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a line the author wrote
    y.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    y.brace_single_entry_mapping_in_flow_sequence = True  # [{cidr: x}], as people write it
    return y


def _dump(tree: Any, indent: Indent = HOUSE_INDENT) -> str:
    out = io.StringIO()
    _yaml(indent).dump(tree, out)
    return out.getvalue()


def _plain(tree: Any) -> Any:
    """Round-trip nodes as plain data (for comparing two texts' meaning)."""
    if isinstance(tree, dict):
        return {str(k): _plain(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_plain(v) for v in tree]
    return tree


def node(value: Any, *, flow: bool = False) -> Any:
    """Plain data -> round-trip nodes in the estate files' house style.

    Lists of scalars and mappings of scalars are written in flow style (``[9000, 9001]``,
    ``{to: cme-globex, rtt_us: 500}``); larger mappings in block style (``flow=True`` forces a
    mapping into flow style, for items of a list whose other items are flow mappings)."""
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = node(v)
        if flow or (all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 3):
            m.fa.set_flow_style()
        return m
    if isinstance(value, (list, tuple)):
        s = CommentedSeq()
        for v in value:
            s.append(node(v, flow=True))
        if all(not isinstance(v, (dict, list)) for v in value) or all(
                isinstance(v, dict) and all(not isinstance(x, (dict, list)) for x in v.values()) for v in value):
            s.fa.set_flow_style()
        return s
    return value


def _last_key_comment(item: Any) -> tuple[Any, Any] | None:
    """(owner, key) of the comment that trails a block mapping (the comment lines after its last value)."""
    if not isinstance(item, CommentedMap) or not item:
        return None
    key = list(item.keys())[-1]
    value = item[key]
    if isinstance(value, CommentedMap | CommentedSeq) and not value.fa.flow_style():
        inner = value[len(value) - 1] if isinstance(value, CommentedSeq) and value else None
        if isinstance(value, CommentedSeq):
            if inner is not None and _last_key_comment(inner) is not None:
                return _last_key_comment(inner)
            return (value, len(value) - 1) if (len(value) - 1) in value.ca.items else None
        return _last_key_comment(value)
    return (item, key) if key in item.ca.items else None


def insert_after(seq: Any, index: int | None, item: Any) -> None:
    """Insert ``item`` into a round-trip list after ``index`` (append when None), moving the blank and
    comment lines that trailed the item at ``index`` (the next group's heading, the gap before the
    next section) after the new one, so they keep introducing what they introduced."""
    if index is None or index >= len(seq) - 1:
        index = len(seq) - 1
        seq.append(item)
    else:
        seq.insert(index + 1, item)
    if index >= 0:
        _move_trailing(seq[index], item)


def append(seq: Any, item: Any) -> None:
    """Append to a round-trip list (``insert_after`` its last item)."""
    insert_after(seq, None, item)


def _move_trailing(prev: Any, item: Any) -> None:
    from ruamel.yaml.tokens import CommentToken

    found = _last_key_comment(prev)
    if found is None or not isinstance(item, CommentedMap) or not item:
        return
    owner, key = found
    tokens = owner.ca.items.get(key)
    if not tokens or len(tokens) < 3 or tokens[2] is None:
        return
    text = tokens[2].value
    first, nl, rest = text.partition("\n")
    if not rest:
        return
    tokens[2].value = first + nl  # an end-of-line comment stays where it is
    target = item
    last = list(target.keys())[-1]
    while isinstance(target[last], CommentedMap) and not target[last].fa.flow_style() and target[last]:
        target = target[last]
        last = list(target.keys())[-1]
    target.ca.items[last] = [None, None, CommentToken("\n" + rest, tokens[2].start_mark, None), None]


def splice(original: str, before: str, after: str) -> str:
    """``original`` with the changes from ``before`` to ``after`` (two dumps of one tree, before and
    after an edit) applied, keeping every line of ``original`` that ``before`` renders identically.

    Lines of ``before`` that differ from ``original`` (ruamel's re-rendering) are replaced by
    ``after``'s lines only where an edit touches them."""
    o, b, a = original.splitlines(True), before.splitlines(True), after.splitlines(True)
    # Map each line of `before` to its line in `original` where the two agree.
    b_to_o: dict[int, int] = {}
    for tag, i1, i2, j1, _j2 in difflib.SequenceMatcher(None, b, o, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                b_to_o[i1 + k] = j1 + k
    out: list[str] = []
    o_pos = 0
    ops = [op for op in difflib.SequenceMatcher(None, b, a, autojunk=False).get_opcodes() if op[0] != "equal"]
    for _tag, i1, i2, j1, j2 in ops:
        # Widen the edited region of `before` until both its ends map onto `original`.
        lo, hi = i1, i2
        while lo > 0 and (lo - 1) not in b_to_o:
            lo -= 1
        while hi < len(b) and hi not in b_to_o:
            hi += 1
        o_lo = b_to_o[lo - 1] + 1 if lo > 0 else 0
        o_hi = b_to_o[hi] if hi < len(b) else len(o)
        if o_lo < o_pos:  # overlaps the previous region: give up on splicing
            return after
        out += o[o_pos:o_lo]
        out += b[lo:i1] + a[j1:j2] + b[i2:hi]
        o_pos = o_hi
    out += o[o_pos:]
    return "".join(out)


class EstateDocument:
    """Every YAML file of one estate directory as an editable round-trip tree.

    ``root`` is the estate directory (or one file); ``originals`` maps each file to its text. A
    file is parsed (ruamel's round trip is slow next to libyaml) only when a finder may need it:
    when its text has the section as a top-level key and, for ``find``, the name asked for.
    Edits go through the trees; ``touch(file)`` marks a file changed (the finders do it for you)."""

    def __init__(self, root: Path, originals: dict[Path, str]) -> None:
        self.root = root
        self.originals = originals
        self._trees: dict[Path, Any] = {}
        self._indent: dict[Path, Indent] = {}
        self._before: dict[Path, str] = {}  # ruamel's dump of a file before its first edit
        self._touched: set[Path] = set()

    @classmethod
    def load(cls, root: Path) -> EstateDocument:
        """Every estate file's text, read as the estate loader reads it (size limit, UTF-8).
        ``EstateError`` names the file, line and column of a file that is not UTF-8 or too large."""
        from tradeplane.errors import EstateError
        from tradeplane.estate import estate_files
        from tradeplane.estate.yamlpos import YamlError, read

        texts: dict[Path, str] = {}
        for f in estate_files(root):
            try:
                texts[f] = read(f)
            except YamlError as exc:
                one = exc.problems[0].message if len(exc.problems) == 1 else f"{f}: the estate file cannot be read"
                raise EstateError(one, exc.problems) from None
            except OSError as exc:
                raise EstateError.single(f"{f}: cannot read: {exc.strerror or exc}", hint="check the path") from None
        return cls(root, texts)

    def tree(self, path: Path) -> Any:
        """The round-trip tree of one file (parsed on first use)."""
        if path not in self._trees:
            try:
                tree = _yaml().load(self.originals[path])
            except Exception as exc:  # ruamel raises many kinds; the estate loader named them already
                raise InputError.single(f"cannot read as YAML: {exc}", location=Location(str(path)),
                                        hint="run `tradeplane estate validate` on the estate first") from None
            self._trees[path] = tree if tree is not None else CommentedMap()
            self._indent[path] = guess_indent(self.originals[path])
        return self._trees[path]

    def _with(self, section: str, *words: str) -> Iterator[tuple[Path, Any]]:
        """(file, tree) of the files that may hold ``section`` (and each of ``words``), in load order."""
        key = re.compile(rf"^{re.escape(section)}\s*:", re.M)
        for path, text in self.originals.items():
            if key.search(text) and all(w in text for w in words):
                yield path, self.tree(path)

    # ------------------------------------------------------------------ finding things

    def items(self, section: str, *words: str) -> Iterator[tuple[Path, Any]]:
        """Every item of a list section, with the file it is written in (files in load order)."""
        for path, tree in self._with(section, *words):
            seq = tree.get(section) if isinstance(tree, dict) else None
            if isinstance(seq, list):
                for item in seq:
                    yield path, item

    def find(self, section: str, name: str, where: Callable[[Any], bool] | None = None) -> tuple[Path, Any] | None:
        """The item of ``section`` named ``name`` (and matching ``where``), and its file; marks the file changed."""
        for path, item in self.items(section, name):
            if isinstance(item, dict) and item.get("name") == name and (where is None or where(item)):
                self.touch(path)
                return path, item
        return None

    def section(self, section: str, prefer: Callable[[Any], bool] | None = None) -> Any:
        """The list of ``section`` to append to: in the file whose items ``prefer`` most of (else the
        first file holding the section, else the first file); created when no file has it."""
        best: tuple[int, int, Path] | None = None
        for i, (path, tree) in enumerate(self._with(section)):
            seq = tree.get(section) if isinstance(tree, dict) else None
            if isinstance(seq, list):
                score = sum(1 for item in seq if prefer is not None and prefer(item))
                if best is None or score > best[0]:
                    best = (score, -i, path)
        path = best[2] if best is not None else next(iter(self.originals))
        tree = self.tree(path)
        self.touch(path)
        if not isinstance(tree.get(section), list):
            tree[section] = CommentedSeq()
        return tree[section]

    def single(self, section: str) -> tuple[Path, Any] | None:
        """A single section (``tags``, ``security`` ...) and its file."""
        for path, tree in self._with(section):
            if isinstance(tree, dict) and section in tree:
                self.touch(path)
                return path, tree[section]
        return None

    def touch(self, path: Path) -> None:
        """Mark ``path`` as about to change (call it before editing its tree: its dump is taken now)."""
        if path not in self._before:
            self._before[path] = _dump(self.tree(path), self._indent[path])
        self._touched.add(path)

    # ------------------------------------------------------------------ results

    def texts(self) -> dict[Path, str]:
        """The new text of every file whose content the edits changed (the others are left out)."""
        y = _yaml()
        out: dict[Path, str] = {}
        for path in sorted(self._touched):
            after = _dump(self.tree(path), self._indent[path])
            if after == self._before[path]:
                continue
            text = splice(self.originals[path], self._before[path], after)
            if text != after and _plain(y.load(text)) != _plain(y.load(after)):
                text = after
            out[path] = text
        return out

    def diff(self, relative_to: Path | None = None, texts: dict[Path, str] | None = None) -> str:
        """Unified diff of the changed files, ``a/<path>`` and ``b/<path>`` relative to ``relative_to``
        (a repository's top level, so ``git apply`` takes it), in file order."""
        out: list[str] = []
        for path, text in sorted((texts if texts is not None else self.texts()).items()):
            rel = _relative(path, relative_to)
            out.append(f"diff --git a/{rel} b/{rel}\n")
            body = list(difflib.unified_diff(self.originals[path].splitlines(True), text.splitlines(True),
                                             f"a/{rel}", f"b/{rel}", n=3))
            for line in body:
                out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


def _relative(path: Path, base: Path | None) -> str:
    if base is None:
        return path.as_posix()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
