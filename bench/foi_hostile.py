"""Hostile response files cost what ordinary ones do: no YAML alias bomb, deep nesting,
flood of values, unclosed comments or images makes the import slow.

Calibration, measured in the same run: parsing the largest shipped response file
(``content/foi/01.FOI.23.031828.md``), in milliseconds per KB. Each hostile file is
parsed (refused or accepted, it does not matter here) and its milliseconds per KB
printed beside that figure; the target is a ratio, so it holds on a slower machine.
Before the import read YAML with limits, the 12-level alias bomb alone ran for minutes
and ended in MemoryError.
"""

from __future__ import annotations

import statistics
import time

from bench.harness import ROOT

TARGET_RATIO = 20.0   # hostile ms/KB at most this many times an ordinary file's
REPEATS = 5


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "---\n" + "\n".join(lines) + f"\ntitle: *a{levels - 1}\n---\nBody\n"


def cases(ordinary: str) -> dict[str, str]:
    return {
        "YAML alias bomb, 12 levels": alias_bomb(12),
        "YAML nested 100,000 deep": "---\ntitle: " + "[" * 100_000 + "]" * 100_000 + "\n---\nBody\n",
        "YAML 200,000 values": "---\ntitle: [" + ", ".join(["x"] * 200_000) + "]\n---\nBody\n",
        "YAML 10,000-digit number": "---\ntitle: " + "9" * 10_000 + "\n---\nBody\n",
        "100,000 unclosed comments": ordinary + "<!--" * 100_000,
        "Markdown quotes 100,000 deep": ordinary + "\n\n" + "> " * 100_000 + "x",
        "50,000 images": ordinary + "\n\n" + "![a](b) " * 50_000,
        "one 1 MB line": ordinary + "\n\n" + "word " * 200_000,
        "forbidden characters": ordinary.replace("e", "\x01"),
    }


def per_kb(text: str, repeats: int = REPEATS) -> tuple[float, float]:
    from webapp.foi.content import parse

    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        parse(text, source="bench.md")
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    return median, median / (len(text.encode("utf-8", "surrogatepass")) / 1024)


def run(seconds: int = 20) -> bool:
    ordinary = (ROOT / "content" / "foi" / "01.FOI.23.031828.md").read_text("utf-8")
    per_kb(ordinary, 20)  # warm up
    base_ms, base_per_kb = per_kb(ordinary, 50)
    print("Hostile response files: parse cost per KB against an ordinary file's, same run")
    print(f"  calibration: {'shipped 01.FOI.23.031828.md':32s} {base_ms:8.2f} ms   {base_per_kb:7.3f} ms/KB")
    ok = True
    for name, text in cases(ordinary).items():
        median, cost = per_kb(text)
        ratio = cost / base_per_kb
        ok &= ratio <= TARGET_RATIO
        print(f"  {name:45s} {median:8.2f} ms   {cost:7.3f} ms/KB   {ratio:5.2f}x  "
              f"(ceiling {TARGET_RATIO:.0f}x){'' if ratio <= TARGET_RATIO else '  MISSED'}")
    return ok
