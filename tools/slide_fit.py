"""Does every slide fit the projector? Measure each slide of the lecture decks in headless Chromium.

Builds the decks (``make slides``) into a temporary folder, opens each in Debian's Chromium at 1280x720,
visits every slide, vertical sub-slides included, and prints per deck each slide's content height (and width)
against the slide's own size, flagging the slides that overflow. Fragments are measured with all of them in
place: a hidden fragment takes its room on the slide as well.

reveal.js is loaded through require.js in nbconvert's decks, so ``window.Reveal`` does not exist: the tool
reads the slide structure from the DOM (``.slides > section > section``), moves with the URL hash
(``#/h/v``, which reveal.js follows) and measures ``section.present``. Sizes are in the slide's own CSS
pixels (reveal.js scales the whole slide to the window with a transform, which leaves layout sizes alone).

Usage:  python -m tools.slide_fit [NN ...]        (no NN: every deck; exit status 1 if a slide overflows)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

VIEWPORT = {"width": 1280, "height": 720}
# Content may exceed the slide by this many CSS pixels before it counts as overflowing (sub-pixel rounding).
TOLERANCE_PX = 2

# Loaded, reveal.js laid out, MathJax done, every saved widget drawn (or failed visibly).
READY = """() => {
  if (document.readyState !== 'complete' || !document.querySelector('.reveal.ready')) return false;
  if (window.MathJax && window.MathJax.startup && !window.MathJax.startup.document) return false;
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  return views.every(s => !!s.parentElement.querySelector('.widget-subarea > .lm-Widget')
    || /Error displaying widget/.test(s.parentElement.textContent));
}"""
MATHJAX_DONE = """async () => { if (window.MathJax && window.MathJax.startup) await window.MathJax.startup.promise; }"""
# Number of vertical slides in each horizontal one (a horizontal slide without children counts as one).
STRUCTURE = """() => [...document.querySelectorAll('.reveal .slides > section')]
  .map(h => Math.max(1, [...h.children].filter(c => c.tagName === 'SECTION').length))"""
# The slide (h, v) is the present one and its images are decoded.
AT_SLIDE = """([h, v]) => {
  const stacks = [...document.querySelectorAll('.reveal .slides > section')];
  const stack = stacks[h];
  if (!stack || !stack.classList.contains('present')) return false;
  const inner = [...stack.children].filter(c => c.tagName === 'SECTION');
  const slide = inner.length ? inner[v] : stack;
  if (!slide || !slide.classList.contains('present')) return false;
  return [...slide.querySelectorAll('img')].every(i => i.complete);
}"""
MEASURE = """([h, v]) => {
  const slides = document.querySelector('.reveal .slides');
  const stack = [...slides.querySelectorAll(':scope > section')][h];
  const inner = [...stack.children].filter(c => c.tagName === 'SECTION');
  const slide = inner.length ? inner[v] : stack;
  const heading = slide.querySelector('h1, h2, h3, h4');
  const text = (heading || slide).textContent.replace(/\\u00b6/g, '').trim().replace(/\\s+/g, ' ');
  // Content that scrolls inside the slide (a wide table or equation in a scrolling box, or the slide itself
  // cut to a height with a scroll bar) is overflow too: add the largest hidden extent of any scrolling box.
  let innerX = 0, innerY = 0;
  for (const el of [slide, ...slide.querySelectorAll('*')]) {
    if (!el.clientWidth && !el.clientHeight) continue;
    const style = getComputedStyle(el);
    if (/auto|scroll/.test(style.overflowX)) innerX = Math.max(innerX, el.scrollWidth - el.clientWidth);
    if (/auto|scroll/.test(style.overflowY)) innerY = Math.max(innerY, el.scrollHeight - el.clientHeight);
  }
  return {
    height: slide.scrollHeight + innerY, width: slide.scrollWidth + innerX,
    slide_height: parseFloat(slides.style.height), slide_width: parseFloat(slides.style.width),
    title: text.slice(0, 70),
  };
}"""


@dataclass
class Slide:
    h: int
    v: int
    height: float
    width: float
    slide_height: float
    slide_width: float
    title: str

    @property
    def overflows(self) -> bool:
        return (self.height > self.slide_height + TOLERANCE_PX) or (self.width > self.slide_width + TOLERANCE_PX)

    @property
    def label(self) -> str:
        """Position for people, 1-based: 3.2 is the third slide's second sub-slide (URL hash #/2/1)."""
        return f"{self.h + 1}.{self.v + 1}"


# Move to slide (h, v) and wait, inside the page, until it is present with its images decoded, then two animation
# frames more: reveal.js lays out the new slide in the frame after it becomes present. One round trip per slide.
GOTO = """async ([h, v, timeoutMs]) => {
  const atSlide = """ + AT_SLIDE + """;
  const frame = () => new Promise(r => requestAnimationFrame(r));
  location.hash = `#/${h}/${v}`;
  const start = performance.now();
  while (!atSlide([h, v])) {
    if (performance.now() - start > timeoutMs) return false;
    await frame();
  }
  await frame();
  await frame();
  return true;
}"""


def goto_slide(page, h: int, v: int, timeout_ms: int = 10_000) -> None:
    if not page.evaluate(GOTO, [h, v, timeout_ms]):
        raise TimeoutError(f"slide {h + 1}.{v + 1} did not become present within {timeout_ms} ms")


def open_deck(page, deck: Path, timeout_ms: int = 60_000) -> list[int]:
    """Open ``deck`` in ``page``, wait until it is fully drawn; return the vertical-slide count per slide."""
    page.goto(deck.as_uri())
    page.wait_for_function(READY, timeout=timeout_ms, polling=200)
    page.evaluate(MATHJAX_DONE)
    return page.evaluate(STRUCTURE)


def measure_deck(page, deck: Path) -> list[Slide]:
    """Every slide of ``deck`` (vertical ones too), measured in ``page`` (a Playwright page at 1280x720)."""
    structure = open_deck(page, deck)
    measured = []
    for h, count in enumerate(structure):
        for v in range(count):
            goto_slide(page, h, v)
            measured.append(Slide(h=h, v=v, **page.evaluate(MEASURE, [h, v])))
    return measured


def report(name: str, slides: list[Slide], verbose: bool = True) -> str:
    over = [s for s in slides if s.overflows]
    tallest = max(slides, key=lambda s: s.height)
    size = f"{tallest.slide_width:.0f}x{tallest.slide_height:.0f}"
    lines = [f"{name}: {len(slides)} slides, {len(over)} overflow {size}; tallest {tallest.label} "
             f"{tallest.height:.0f} px = {tallest.height / tallest.slide_height:.2f} x slide height"]
    for s in slides if verbose else over:
        flag = "OVERFLOW" if s.overflows else "ok"
        wide = f" width {s.width:.0f}" if s.width > s.slide_width + TOLERANCE_PX else ""
        lines.append(f"  {s.label:>6} {s.height:6.0f} px{wide:>12}  {flag:<8} {s.title}")
    return "\n".join(lines)


def measure_built(decks: list[Path], browser) -> dict[str, list[Slide]]:
    """Measure already built decks with one page of ``browser`` (a Playwright browser)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        return {d.name.removesuffix(".slides.html"): measure_deck(page, d) for d in decks}
    finally:
        context.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook number prefixes, e.g. 03 04 (default: all)")
    parser.add_argument("--overflow-only", action="store_true", help="list only the slides that overflow")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tools.build_site import SiteError, build_slides
    from tools.chromium import launch

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="slide_fit_") as tmp:
        try:
            decks = build_slides(Path(tmp), args.notebooks or None)
        except SiteError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        built = time.perf_counter()
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                results = measure_built(decks, browser)
            finally:
                browser.close()
    total = sum(len(s) for s in results.values())
    over = sum(s.overflows for slides in results.values() for s in slides)
    for name, slides in results.items():
        print(report(name, slides, verbose=not args.overflow_only))
    print(f"{over} of {total} slides overflow {VIEWPORT['width']}x{VIEWPORT['height']} "
          f"(built in {built - start:.1f} s, measured in {time.perf_counter() - built:.1f} s)")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
