"""A real headless Chromium for the UI's browser tests (Debian's chromium and chromedriver).

The machine's network is closed, so Chromium starts with every background
connection off (no component updates, sync, first-run pings or QUIC) and a
fresh profile. Waits poll the page the way a person looks at it: until an
element shows the text, or the deadline passes with what it showed instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from minidcos._util.polling import Poll, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
)
# Where each test's screenshot goes ($MINIDCOS_UI_SCREENSHOTS, e.g. docs/screenshots).
SCREENSHOTS = Path(os.environ.get("MINIDCOS_UI_SCREENSHOTS", "ui-screenshots"))


def require_chromium() -> None:
    """Fail in CI, skip elsewhere, when Debian's chromium or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if not missing:
        return
    message = f"{', '.join(missing)} missing: `apt-get install chromium chromium-driver`"
    if os.environ.get("CI"):
        pytest.fail(message + " (test.sh installs them)")
    pytest.skip(message)


class Browser:
    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.driver = driver
        self.base = base.rstrip("/")

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_of(self, css: str) -> str:
        try:
            return "\n".join(e.text for e in self.find(css))
        except StaleElementReferenceException:
            return ""

    def wait_text(
        self, css: str, check: Callable[[str], bool], what: str, timeout_s: float = 30
    ) -> str:
        """Wait until the elements matching `css` show text that passes `check`."""

        def probe() -> Poll[str]:
            text = self.text_of(css)
            return Poll(check(text), value=text, detail=f"{css} shows {text[:300]!r}")

        text: str = wait_for(probe, timeout_s, what, max_interval_s=0.5)
        return text

    def wait_for(self, css: str, what: str, timeout_s: float = 30) -> WebElement:
        def probe() -> Poll[WebElement | None]:
            found = [e for e in self.find(css) if e.is_displayed()]
            return Poll(bool(found), value=found[0] if found else None, detail=f"no {css}")

        element: WebElement | None = wait_for(probe, timeout_s, what, max_interval_s=0.5)
        assert element is not None
        return element

    def click(self, css: str, what: str) -> None:
        self.wait_for(css, what).click()

    def type_into(self, css: str, text: str) -> None:
        element = self.wait_for(css, f"the field {css}")
        element.clear()
        element.send_keys(text)

    def title(self) -> str:
        return str(self.driver.title)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def chromium(base: str, page_load_strategy: str = "normal") -> Iterator[Browser]:
    """A fresh headless Chromium; "eager" returns from navigations at DOMContentLoaded."""
    require_chromium()
    profile = tempfile.mkdtemp(prefix="minidcos-chromium-")
    options = webdriver.ChromeOptions()
    options.page_load_strategy = page_load_strategy
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.set_page_load_timeout(30)
    try:
        yield Browser(driver, base)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
