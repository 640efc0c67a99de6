"""The YAML front matter of a content file, read safely, with the line of every field.

Reading stops at the first alias or anchor, at nesting deeper than MAX_YAML_DEPTH or
past MAX_YAML_NODES values, and dates stay text for the validator to check: whatever a
file holds, the result is data or problems, never an exception.
"""

from __future__ import annotations

import re

import yaml

from webapp.foi.problems import Problem

# Limits on the YAML: a hostile file costs milliseconds, not seconds.
MAX_YAML_DEPTH = 8          # the format needs 4 (answers: - questions: [1, 2])
MAX_YAML_NODES = 20_000

FRONT_MATTER = re.compile(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)(.*)$", re.DOTALL)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Front matter, body, and the body's first line in the file."""
    text = text.removeprefix("\ufeff")
    if not text.startswith("---"):
        return None
    match = FRONT_MATTER.match(text)
    if not match:
        return None
    return match.group(1), match.group(2), text.count("\n", 0, match.start(2)) + 1


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader, with dates kept as text: the validator checks them, so an
    impossible date (2024-02-30) is a message about that field, not an exception."""


def _int_or_text(loader, node):
    """A whole number, or its digits as text when Python will not convert that many."""
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        return loader.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _int_or_text)

YAML_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)


def load_yaml(front: str, source: str):
    """(data, line of each field, problems of structure) or a list of problems.

    Events are read first, streaming, and reading stops at the first alias or anchor,
    at nesting deeper than MAX_YAML_DEPTH or past MAX_YAML_NODES values: none of the
    exponential or deeply recursive documents YAML allows ever reaches the composer.
    """
    def problem(message: str, mark=None) -> list[Problem]:
        return [Problem(source, "front matter", message, line=(mark.line + 2) if mark else 2)]

    depth = nodes = 0
    try:
        for event in yaml.parse(front, Loader=_FrontMatterLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return problem("uses a YAML anchor or alias (&name or *name): write each value out in full", event.start_mark)
            if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    return problem(f"has more than {MAX_YAML_NODES:,} values", event.start_mark)
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return problem(f"is nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
        loader = _FrontMatterLoader(front)
        try:
            node = loader.get_single_node()
            lines, structure = field_lines(node, source)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except YAML_ERRORS as error:
        mark = getattr(error, "problem_mark", None)
        what = getattr(error, "problem", None) or str(error)
        return problem(f"is not valid YAML: {what}", mark)
    return data, lines, structure


def field_lines(root, source: str) -> tuple[dict, list[Problem]]:
    """The file line of every field and list item (``answers[2].text``), and a problem
    for each key given twice in one mapping (YAML would keep the last silently)."""
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    stack = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                name = f"{path}.{key.value}" if path else key.value
                line = key.start_mark.line + 2
                if key.value in first:
                    problems.append(Problem(source, name, f"is given twice (first on line {first[key.value]}): keep one", line=line))
                    continue
                first[key.value] = line
                lines[name] = line
                stack.append((value, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value, start=1):
                name = f"{path}[{index}]"
                lines[name] = item.start_mark.line + 2
                stack.append((item, name))
        elif isinstance(node, yaml.ScalarNode) and path:
            # Where the text itself starts: the line after '|' or '>' for a block.
            lines[path + "#text"] = node.start_mark.line + 2 + (1 if node.style in ("|", ">") else 0)
    return lines, problems
