"""A voice message recorded in the reporter's browser (static/js/voice.js), in Chromium.

The headless Chromium here has no microphone, and its launch (conftest.py) asks for no fake
one: before the page's own scripts run, `getUserMedia` is replaced by one that gives a tone
from an AudioContext oscillator, a real MediaStream, so MediaRecorder records real sound.
Each stream it hands out is kept in `window.voiceTracks`, for the test to see whether the
microphone was let go; what the page asked for is kept in `window.voiceAsked`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.test_evidence_upload import (
    Traffic,
    entry,
    expect_uploaded,
    fill_in,
    said,
    stored_files,
)
from tests.browser.test_reporter_flows import (
    browsing,
    case_code_shown,
    open_report_form,
    report_with_java_script,
    send_report,
)

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

FAKE_MICROPHONE = """
(() => {
  window.voiceTracks = [];
  window.voiceAsked = [];
  if (!navigator.mediaDevices) {
    return;
  }
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    window.voiceAsked.push(constraints);
    const context = new AudioContext();
    const tone = context.createOscillator();
    const microphone = context.createMediaStreamDestination();
    tone.connect(microphone);
    tone.start();
    await context.resume();
    window.voiceTracks.push(...microphone.stream.getTracks());
    return microphone.stream;
  };
})();
"""
# The page's CSP keeps fetch() away from blob: URLs, so the blobs behind them are noted as
# they are made, with whether each URL was revoked.
BLOB_WATCH = """
(() => {
  const make = URL.createObjectURL;
  const revoke = URL.revokeObjectURL;
  window.blobsByUrl = new Map();
  window.revokedUrls = new Set();
  URL.createObjectURL = (blob) => {
    const url = make(blob);
    window.blobsByUrl.set(url, blob);
    return url;
  };
  URL.revokeObjectURL = (url) => {
    window.revokedUrls.add(url);
    revoke(url);
  };
})();
"""
WEBM = b"\x1a\x45\xdf\xa3"
AT_LIMIT = "The recording stopped by itself at %(limit)s, the longest a voice message can be."


@contextmanager
def with_microphone(
    browser: Browser, live_server: LiveServer, *, init_script: str = FAKE_MICROPHONE
) -> Iterator[tuple[Page, Traffic]]:
    """A fresh context allowed the (fake) microphone, and everything its page sends."""
    with browsing(browser, live_server, permissions=["microphone"]) as (page, _wire):
        page.add_init_script(BLOB_WATCH)
        page.add_init_script(init_script)
        traffic = Traffic(live_server.url)
        page.on("request", traffic.record)
        yield page, traffic


def open_inbox(page: Page, live_server: LiveServer, code: str) -> None:
    page.goto(f"{live_server.url}/follow-up")
    expect(page.locator("form[data-opens-inbox][data-enhanced]")).to_have_count(1)
    page.fill("#code", code)
    page.click("form[data-opens-inbox] [type=submit]")
    expect(page.locator("[data-seals-message]")).to_be_visible()


def voice_button(page: Page, live_server: LiveServer, text: str) -> Locator:
    return page.locator("[data-voice-message]").get_by_role(
        "button", name=said(live_server, text), exact=True
    )


def tracks(page: Page) -> list[str]:
    """The ready state of each track the fake microphone gave ("live" or "ended")."""
    states: list[str] = page.evaluate("window.voiceTracks.map((track) => track.readyState)")
    return states


def bytes_at(page: Page, url: str) -> bytes:
    """What the blob behind a blob: URL of the page holds."""
    found: str = page.evaluate(
        """async (url) => {
            const bytes = new Uint8Array(await window.blobsByUrl.get(url).arrayBuffer());
            return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
        }""",
        url,
    )
    return base64.b64decode(found)


def revoked(page: Page, url: str) -> bool:
    done: bool = page.evaluate("(url) => window.revokedUrls.has(url)", url)
    return done


def stored_anywhere(page: Page) -> list[int]:
    """How much the page keeps in localStorage, sessionStorage and IndexedDB."""
    counts: list[int] = page.evaluate(
        """async () => [
            localStorage.length,
            sessionStorage.length,
            (await indexedDB.databases()).length,
        ]"""
    )
    return counts


def test_a_voice_message_is_heard_back_then_sealed_uploaded_and_opened_by_the_line(
    browser: Browser, live_server: LiveServer
) -> None:
    with with_microphone(browser, live_server) as (page, traffic):
        # Given the report form, whose page may use the microphone, and its warning
        open_report_form(page, live_server)
        assert page.evaluate("document.featurePolicy.allowsFeature('microphone')")
        fill_in(page, "Listen to my message.")
        record = voice_button(page, live_server, "Record a voice message")
        expect(record).to_be_visible()
        expect(page.locator(".voice-warning")).to_contain_text(
            said(live_server, "A voice can be recognised, even without a name.")
        )
        assert page.evaluate("window.voiceAsked") == []  # not before the button is pressed

        # When a message is recorded for a second
        record.click()
        stop = voice_button(page, live_server, "Stop recording")
        expect(stop).to_be_focused()
        assert tracks(page) == ["live"]
        expect(page.locator("[data-voice-elapsed]")).to_have_text("0:01")
        stop.click()

        # Then it can be listened to, the microphone is let go, and no video was asked for
        audio = page.locator("[data-voice-review] audio[controls]")
        expect(audio).to_be_visible()
        assert tracks(page) == ["ended"]
        assert page.evaluate("window.voiceAsked") == [{"audio": True, "video": False}]
        url = audio.get_attribute("src") or ""
        assert url.startswith("blob:")
        recorded = bytes_at(page, url)
        assert recorded.startswith(WEBM)

        # When it is used, it is listed, sealed and uploaded like a chosen file
        voice_button(page, live_server, "Use this recording").click()
        expect_uploaded(page, live_server, "voice-message.webm")
        expect(entry(page, "voice-message.webm").locator(".evidence-findings")).to_have_text(
            said(live_server, "Nothing to remove.")
        )
        expect(audio).to_be_hidden()
        assert revoked(page, url)
        assert stored_anywhere(page) == [0, 0, 0]
        send_report(page)
        code = case_code_shown(page)

    # Then no request carried the sound, and the line's key opens exactly the recording
    middle = len(recorded) // 2
    assert traffic.carrying(recorded[middle : middle + 64]) == []
    (opened,) = stored_files(live_server, code)
    assert (opened.name, opened.type, opened.removed) == ("voice-message.webm", "audio/webm", ())
    assert opened.content == recorded


def test_in_the_inbox_a_recording_stops_by_itself_at_the_limit_and_delete_forgets_it(
    browser: Browser, live_server: LiveServer
) -> None:
    code = report_with_java_script(browser, live_server, "A report to write more to.")
    with with_microphone(browser, live_server) as (page, traffic):
        # Given the inbox's message form (its page may use the microphone), and a limit of
        # one second (five minutes as the page is sent)
        open_inbox(page, live_server, code)
        assert page.evaluate("document.featurePolicy.allowsFeature('microphone')")
        voice = page.locator("[data-seals-message] [data-voice-message]")
        assert voice.get_attribute("data-max-seconds") == "300"
        voice.evaluate("(block) => { block.dataset.maxSeconds = '1'; }")
        sent_before = len(traffic.sent)

        # When a recording is started and left running
        voice_button(page, live_server, "Record a voice message").click()
        expect(voice_button(page, live_server, "Stop recording")).to_be_visible()

        # Then it stops by itself at the limit, says so, and lets the microphone go
        audio = voice.locator("[data-voice-review] audio[controls]")
        expect(audio).to_be_visible(timeout=5_000)
        expect(voice.locator("[data-voice-note]")).to_have_text(
            said(live_server, AT_LIMIT, limit="0:01")
        )
        assert tracks(page) == ["ended"]
        url = audio.get_attribute("src") or ""

        # When it is deleted, it is gone, and nothing was listed or sent
        voice_button(page, live_server, "Delete the recording").click()
        expect(audio).to_be_hidden()
        expect(voice_button(page, live_server, "Record a voice message")).to_be_focused()
        assert revoked(page, url)
        expect(page.locator(".evidence-file")).to_have_count(0)
        assert len(traffic.sent) == sent_before


def test_without_a_recorder_the_button_and_its_warning_stay_hidden(
    browser: Browser, live_server: LiveServer
) -> None:
    with with_microphone(browser, live_server, init_script="delete window.MediaRecorder;") as (
        page,
        _traffic,
    ):
        open_report_form(page, live_server)

        expect(page.locator("[data-voice-message]")).to_be_hidden()
        expect(page.locator("#evidence")).to_be_visible()  # a sound file can still be chosen
