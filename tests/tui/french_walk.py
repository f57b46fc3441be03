"""Walk every console screen in French after one sandbox cycle and print what an operator reads.

Run as its own process (``python -m tests.tui.french_walk DATA_DIR``) because bindings and screen
titles are translated when their classes are created: the language must be French before
``crmtui.app`` is imported, exactly as ``crmtui`` does it. Prints one ``=== mode`` block per screen
with the visible text of an 80x24 screenshot.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import sys
from pathlib import Path


def visible_text(svg: str) -> str:
    """The characters of a Textual SVG screenshot, one line per text row."""
    rows: dict[str, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        x, y, body = match.groups()
        rows.setdefault(y, []).append((float(x), html.unescape(re.sub(r"<[^>]+>", "", body))))
    lines = []
    for y in sorted(rows, key=float):
        lines.append("".join(text for _, text in sorted(rows[y])).replace("\xa0", " "))
    return "\n".join(lines)


async def walk(data_dir: Path) -> None:
    os.environ["CRMTUI_LANG"] = "fr"
    os.environ["CRMTUI_DATA_DIR"] = str(data_dir)
    from crmtui.config import load_settings

    settings = load_settings(env_file=None, sandbox=True, overrides={"CRMTUI_LANG": "fr"})
    from crmtui.cli.entry import sandbox_services

    with sandbox_services(settings) as live:
        from crmtui.app import CrmApp, make_app
        from crmtui.engine.cycle import run_cycle
        from crmtui.store import Store

        store = Store(live.store_path)
        await run_cycle(live, store, owner="walk")
        app = make_app(live, store)
        async with app.run_test(size=(80, 24)) as pilot:
            for mode in CrmApp.MODES:
                app.switch_mode(mode)
                for _ in range(20):
                    await pilot.pause(0.05)
                    if not any(w.is_running for w in app.workers):
                        break
                await pilot.pause(0.2)
                print(f"=== {mode}")
                print(visible_text(app.export_screenshot()))
            await pilot.press("f1")
            await pilot.pause(0.3)
            print("=== help")
            print(visible_text(app.export_screenshot()))
            await pilot.press("escape", "ctrl+p")
            await pilot.pause(0.3)
            print("=== palette")
            print(visible_text(app.export_screenshot()))
        store.close()


if __name__ == "__main__":
    asyncio.run(walk(Path(sys.argv[1])))
