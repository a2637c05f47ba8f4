"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver.

`ensure_chromium()` installs them with apt when missing (as root, the way CI runs). `WebDriver`
speaks the W3C WebDriver protocol to chromedriver over HTTP with httpx, which the project
already depends on: no Selenium, no browser download of its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from devinfra.ports import free_port

PACKAGES = ("chromium", "chromium-driver")
# Flags for a closed network: no background requests that this machine would refuse.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1200,1600",
]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class BrowserInfraError(RuntimeError):
    pass


def ensure_chromium() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    if os.geteuid() != 0:
        raise BrowserInfraError(
            "chromium and chromium-driver are missing: `sudo apt-get install chromium chromium-driver`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env, stdout=subprocess.DEVNULL
    )
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise BrowserInfraError("apt-get installed chromium but the binaries are not on PATH")
    return chromium, driver


class WebDriver:
    """A minimal W3C WebDriver client: enough to open a page, fill a form, click and read."""

    def __init__(self) -> None:
        self.chromium, driver = ensure_chromium()
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="caseflow-chromium-")
        self.proc = subprocess.Popen(
            [driver, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.http.get("/status").json()["value"]["ready"]:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise BrowserInfraError("chromedriver did not start")
            time.sleep(0.1)
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": self.chromium,
                        "args": [*CHROMIUM_ARGS, f"--user-data-dir={self.profile}"],
                    },
                }
            }
        }
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(
            method, path, json=body if body is not None else ({} if method == "POST" else None)
        )
        value = answer.json().get("value")
        if answer.status_code >= 400:
            raise BrowserInfraError(f"{method} {path}: {value}")
        return value

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def get(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def find(self, css: str) -> str:
        return str(self._call("POST", self._s("/element"), {"using": "css selector", "value": css})[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        return [
            e[ELEMENT]
            for e in self._call("POST", self._s("/elements"), {"using": "css selector", "value": css})
        ]

    def click(self, css: str) -> None:
        self._call("POST", self._s(f"/element/{self.find(css)}/click"))

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self._call("POST", self._s(f"/element/{element}/clear"))
        self._call("POST", self._s(f"/element/{element}/value"), {"text": text})

    def text(self, css: str) -> str:
        return str(self._call("GET", self._s(f"/element/{self.find(css)}/text")))

    def submit(self, css: str, timeout: float = 15) -> str:
        """Click a submit button and wait for the next page (the click can return before it loads)."""
        before = self.find("html")
        self.click(css)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if (
                    self.find("html") != before
                    and self._call(
                        "POST", self._s("/execute/sync"), {"script": "return document.readyState", "args": []}
                    )
                    == "complete"
                ):
                    return self.title()
            except BrowserInfraError:
                pass  # between documents
            time.sleep(0.1)
        raise BrowserInfraError(f"no new page after clicking {css}")

    def title(self) -> str:
        return str(self._call("GET", self._s("/title")))

    def source(self) -> str:
        return str(self._call("GET", self._s("/source")))

    def screenshot(self, path: Path) -> Path:
        import base64

        path.write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))
        return path

    def quit(self) -> None:
        try:
            self._call("DELETE", self._s(""))
        except (BrowserInfraError, httpx.HTTPError):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.http.close()
        shutil.rmtree(self.profile, ignore_errors=True)


AXE_CORE_VERSION = "4.14.1"


def axe_core_path() -> Path:
    """Where axe-core's browser bundle is cached ($CASEFLOW_CACHE, default ~/.cache/caseflow)."""
    root = os.environ.get("CASEFLOW_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "caseflow"
    return base / f"axe-core-{AXE_CORE_VERSION}" / "axe.min.js"


def ensure_axe_core() -> Path:
    """axe-core (the accessibility checker the page tests run in Chromium), from the npm registry
    with `npm pack`, once."""
    target = axe_core_path()
    if target.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise BrowserInfraError("npm is needed once to fetch axe-core (apt-get install npm)")
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"axe-core@{AXE_CORE_VERSION}", "--silent"], cwd=tmp, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        archive = next(Path(tmp).glob("axe-core-*.tgz"))
        with tarfile.open(archive) as tar:
            member = tar.extractfile("package/axe.min.js")
            if member is None:
                raise BrowserInfraError("the axe-core package has no axe.min.js")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())
    return target


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devinfra.browser", description="Headless Chromium for the browser tests."
    )
    parser.add_argument("action", choices=["ensure-installed"])
    parser.parse_args()
    chromium, driver = ensure_chromium()
    print(f"chromium: {chromium}\nchromedriver: {driver}\naxe-core: {ensure_axe_core()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
