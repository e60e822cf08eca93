"""The docs stay true to the code and to themselves.

- docs/architecture.md follows a recv() and a urequests.get() function by function;
  every function it names must exist in the file named beside it.
- README.md is the user's guide: at most 12 KB, and every doc it links exists.
- Every figure block in docs/ is written by a tool (a `<!-- generated: NAME -->`
  block), and every such block is closed.
"""

import re
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
ARCH = TOP / "docs" / "architecture.md"
ROW = re.compile(
    r"^\| (?P<what>.+?) \| `(?P<file>[^`]+)` \| `(?P<func>[\w.]+)\(\)` \|$"
)


def walkthrough_rows():
    rows = []
    section = None
    for line in ARCH.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:]
        m = ROW.match(line)
        if m and section and section.startswith("Following"):
            rows.append((section, m["file"], m["func"]))
    return rows


def defines(path, func):
    """Whether ``path`` defines ``func`` (``Class.method`` for a Python method)."""
    text = path.read_text()
    if path.suffix == ".py":
        *cls, name = func.split(".")
        if cls:
            body = re.search(
                rf"^class {cls[0]}\b.*?(?=^class |\Z)", text, re.MULTILINE | re.DOTALL
            )
            return bool(body) and re.search(
                rf"^    def {name}\(", body.group(0), re.MULTILINE
            )
        return re.search(rf"^(def|class) {name}\b", text, re.MULTILINE) is not None
    # C: a definition starts at the beginning of a line with its return type.
    return re.search(rf"^[a-z][\w ]*[\s*]{func}\(", text, re.MULTILINE) is not None


def test_architecture_walkthroughs_name_functions_that_exist():
    rows = walkthrough_rows()
    sections = {section for section, _, _ in rows}
    assert len(sections) == 2, sections  # recv() and urequests.get()
    assert len(rows) >= 20
    missing = [
        f"{section}: {func}() in {file}"
        for section, file, func in rows
        if not (TOP / file).is_file() or not defines(TOP / file, func)
    ]
    assert not missing, "docs/architecture.md names what the code lacks:\n" + "\n".join(
        missing
    )


def test_readme_is_short_and_its_links_exist():
    readme = (TOP / "README.md").read_text()
    assert len(readme.encode()) <= 12 * 1024
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert links
    assert [link for link in links if not (TOP / link).exists()] == []


@pytest.mark.parametrize(
    "doc", sorted((TOP / "docs").glob("*.md")), ids=lambda p: p.name
)
def test_generated_blocks_are_closed(doc):
    text = doc.read_text()
    opened = re.findall(r"<!-- generated: (\S+) -->", text)
    closed = re.findall(r"<!-- end generated: (\S+) -->", text)
    assert opened == closed


# A measured rate or ratio outside a generated block was typed by hand: it goes stale.
# A bound ("<= 1.2x", "≥ 1.0×") is a goal, not a measurement.
MEASURED = re.compile(
    r"(?<![<>=≤≥] )(?<![<>=≤≥])"
    r"(\b\d[\d,.]*\s*(MB/s|req/s|conn/s|rt/s|pkt/s)|\b\d+\.\d+\s*[x×](?!\w))"
)


@pytest.mark.parametrize(
    "doc",
    [TOP / "README.md", TOP / "CONTRIBUTING.md", *sorted((TOP / "docs").glob("*.md"))],
    ids=lambda p: p.name,
)
def test_measured_figures_only_in_generated_blocks(doc):
    text = re.sub(
        r"<!-- generated: (\S+) -->.*?<!-- end generated: \1 -->",
        "",
        doc.read_text(),
        flags=re.DOTALL,
    )
    assert [m.group(0) for m in MEASURED.finditer(text)] == []
