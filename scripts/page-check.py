#!/usr/bin/env python3
"""Looks at every page the way a reader does, in headless Chromium over the DevTools protocol:
at a desktop width (1280 px) and a phone width (390 px), in the light and the dark theme.

For each page, width and theme it
  - takes a screenshot (half scale) and compares it with the reviewed one in SNAPSHOTS, if any;
  - checks the layout: no sideways scrolling; on a phone a header of at most 100 px and controls
    at least 44 px tall; on a desktop, feed pages show cards in three or more columns; the
    theme's background is light or dark as asked;
  - runs axe-core (WCAG 2.1 A and AA rules and best practices: labels, contrast, landmarks,
    names, ...) and fails on any violation;
  - walks the page with the Tab key: the first stop is the skip link, every stop shows a
    focus outline, and focus never gets stuck.

Pages after "--signed-in" are visited after signing in by the link mailed to MAIL_FOLDER.

Usage: page-check.py CHROMIUM BASE_URL MAIL_FOLDER AXE_JS SNAPSHOTS OUT_DIR PAGE... [--signed-in PAGE...]
With PAPERBOY_RECORD_SNAPSHOTS=1 the screenshots become the new reviewed ones (review them with
git diff before committing). Exits 0 when every check passed; prints each failure otherwise.
"""
import base64
import importlib.util
import json
import os
import re
import struct
import sys
import time
import zlib

spec = importlib.util.spec_from_file_location("browser_flow", os.path.join(os.path.dirname(__file__), "browser-flow.py"))
browser_flow = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_flow)

WIDTHS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
THEMES = ("light", "dark")
# A snapshot may differ in this share of its pixels and still match: anti-aliasing differs from
# run to run, and one CI run saw 1.0% of a phone page change with nothing changed in the code.
# Changes to markup are caught exactly by HTMLSnapshotTests; these catch the look (a moved or
# restyled block is several per cent of the screen).
TOLERANCE = 0.025


def decode_png(data):
    """Width, height and RGBA rows of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError("unsupported PNG")
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def differing_share(old, new):
    w1, h1, c1, rows1 = decode_png(old)
    w2, h2, c2, rows2 = decode_png(new)
    if (w1, h1) != (w2, h2):
        return 1.0
    differing = 0
    for row1, row2 in zip(rows1, rows2):
        if row1 == row2:
            continue
        for x in range(w1):
            a, b = row1[x * c1:x * c1 + 3], row2[x * c2:x * c2 + 3]
            if max(abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2])) > 40:
                differing += 1
    return differing / (w1 * h1)


LAYOUT = r"""
(() => {
  const problems = [];
  const phone = innerWidth < 600;
  if (document.documentElement.scrollWidth > innerWidth + 1) problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} px wide`);
  const header = document.querySelector("header.site");
  if (!header) problems.push("no header");
  else if (phone && header.getBoundingClientRect().height > 100) problems.push(`phone header is ${Math.round(header.getBoundingClientRect().height)} px tall`);
  if (phone) {
    const controls = document.querySelectorAll("button, select, input:not([type=hidden]), textarea, summary, nav a, .views a, .sorts a, .card-actions a, .links a, .period-nav a, a.button, table.month a");
    for (const element of controls) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const style = getComputedStyle(element);
      if (style.visibility === "hidden" || element.closest("[hidden], details:not([open]) > :not(summary)")) continue;
      if (element.closest(".visually-hidden, .skip-link")) continue;
      if (box.height < 43.5) problems.push(`${element.tagName.toLowerCase()} "${(element.innerText || element.value || element.getAttribute("aria-label") || "").trim().slice(0, 30)}" is ${Math.round(box.height)} px tall`);
    }
  }
  const cards = [...document.querySelectorAll("ol.papers > li")];
  if (!phone && cards.length >= 3 && document.querySelector("h1") && location.pathname.match(/^\/($|papers\/(date|week|month)|trending)/)) {
    const tops = new Set(cards.slice(0, 6).map((card) => Math.round(card.getBoundingClientRect().top)));
    const firstRow = cards.filter((card) => Math.round(card.getBoundingClientRect().top) === Math.round(cards[0].getBoundingClientRect().top)).length;
    if (firstRow < 3) problems.push(`only ${firstRow} cards side by side on a desktop`);
  }
  const background = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
  const luminance = (0.2126 * background[0] + 0.7152 * background[1] + 0.0722 * background[2]) / 255;
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  if (dark && luminance > 0.3) problems.push(`dark theme has a light background (${background})`);
  if (!dark && luminance < 0.7) problems.push(`light theme has a dark background (${background})`);
  if (document.body.innerText.match(/\bnil\b|Optional\(/)) problems.push("the text shows nil or Optional(");
  return problems;
})()
"""

FOCUS = r"""
(() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const outlined = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1) || style.boxShadow !== "none";
  return {tag: element.tagName.toLowerCase(), cls: element.className, text: (element.innerText || element.value || element.getAttribute("aria-label") || "").trim().slice(0, 40),
          outlined, visible: box.width > 0 && box.height > 0, path: element.closest("header, main, footer")?.tagName.toLowerCase() || ""};
})()
"""


def press_tab(browser):
    for kind in ("rawKeyDown", "keyUp"):
        browser.call("Input.dispatchKeyEvent", {"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9, "nativeVirtualKeyCode": 9})


def keyboard_problems(browser):
    problems = []
    browser.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    stops = []
    for _ in range(40):
        press_tab(browser)
        focused = browser.evaluate(FOCUS)
        if focused is None:
            break
        stops.append(focused)
        if not focused["outlined"]:
            problems.append(f"focus on {focused['tag']} \"{focused['text']}\" shows no outline")
    if not stops:
        problems.append("the Tab key reaches nothing")
    elif "skip-link" not in str(stops[0]["cls"]):
        problems.append(f"the first Tab stop is {stops[0]['tag']} \"{stops[0]['text']}\", not the skip link")
    if stops and not any(stop["path"] == "main" for stop in stops) and browser.evaluate("!!document.querySelector('main a, main button, main input')"):
        problems.append("40 Tab presses never reach the main content")
    return sorted(set(problems))


def axe_problems(browser, axe_source):
    if not browser.evaluate("typeof axe !== 'undefined'"):
        browser.evaluate(axe_source + "; true")
    result = browser.evaluate("""
      axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
        .then((r) => r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`))
    """)
    return result or []


def main():
    arguments = sys.argv[1:]
    chromium, base, mail_folder, axe_path, snapshots, out_dir = arguments[:6]
    rest = arguments[6:]
    split = rest.index("--signed-in") if "--signed-in" in rest else len(rest)
    anonymous, signed_in = rest[:split], rest[split + 1:]
    record = os.environ.get("PAPERBOY_RECORD_SNAPSHOTS") == "1"
    axe_source = open(axe_path).read()
    os.makedirs(out_dir, exist_ok=True)
    if record:
        os.makedirs(snapshots, exist_ok=True)
    failures, compared, recorded = [], 0, 0
    browser = browser_flow.Browser(chromium)
    try:
        def visit(pages, who):
            nonlocal compared, recorded
            for width_name, (width, height, mobile) in WIDTHS.items():
                browser.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
                for theme in THEMES:
                    browser.call("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": theme}]})
                    for page in pages:
                        name = f"{who}{re.sub(r'[^A-Za-z0-9]+', '-', page).strip('-') or 'home'}-{width_name}-{theme}"
                        browser.navigate(base + page)
                        # Settle fonts and layout; no animations run on these pages.
                        browser.evaluate("document.fonts.ready.then(() => true)")
                        time.sleep(0.2)
                        for problem in browser.evaluate(LAYOUT):
                            failures.append(f"{name}: {problem}")
                        for problem in axe_problems(browser, axe_source):
                            failures.append(f"{name}: axe {problem}")
                        if width_name == "desktop":
                            for problem in keyboard_problems(browser):
                                failures.append(f"{name}: keyboard: {problem}")
                            browser.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); true")
                        shot = base64.b64decode(browser.call("Page.captureScreenshot", {
                            "format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 0.5}})["data"])
                        with open(os.path.join(out_dir, name + ".png"), "wb") as handle:
                            handle.write(shot)
                        reference = os.path.join(snapshots, name + ".png")
                        if record:
                            with open(reference, "wb") as handle:
                                handle.write(shot)
                            recorded += 1
                        elif os.path.exists(reference):
                            share = differing_share(open(reference, "rb").read(), shot)
                            compared += 1
                            if share > TOLERANCE:
                                failures.append(f"{name}: looks different from the reviewed snapshot ({share:.1%} of pixels); see {os.path.join(out_dir, name + '.png')}")
                        print(f"checked {name}", flush=True)

        visit(anonymous, "")
        if signed_in:
            browser.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            browser.navigate(f"{base}/signin")
            browser.submit("document.querySelector('#email').value = 'reader@example.org'; document.querySelector('main form.stacked').submit()")
            link = browser_flow.sign_in_link(mail_folder, "reader@example.org")
            if link is None:
                raise SystemExit("FAILED: no sign-in link in the mail folder")
            browser.navigate(base + link[link.index("/signin/confirm"):])
            browser.submit("document.querySelector('#username').value = 'reader'; document.querySelector('main form.stacked').submit()")
            visit(signed_in, "signed-in-")
    finally:
        browser.close()
    print(f"compared {compared} snapshots, recorded {recorded}")
    if failures:
        print("\n".join(f"FAILED: {failure}" for failure in failures))
        sys.exit(1)
    print("ok: every page passed")


if __name__ == "__main__":
    main()
