/**
 * A voice message for the evidence field: recorded here, in the browser, listened to, and
 * then handed to the field as a file, which strips nothing from it (sound passes through),
 * seals it and uploads it like any file the reporter chose (evidence.js).
 *
 * The block (`[data-voice-message]` in templates/reporter/_evidence.html) stays hidden
 * unless the field was taken over (so the browser can seal) and the browser can record
 * sound in a format the line takes (advisory/file_types.py). Its warning that a voice can
 * be recognised is shown with the button, always.
 *
 * The microphone is asked for only when "Record a voice message" is pressed, and only for
 * sound, never video. A recording stops when the reporter says so or by itself after
 * `data-max-seconds` (five minutes); the microphone is released then, and whenever the page
 * is hidden or left. The recording lives in this page's memory only (a Blob, played from a
 * blob: URL that is revoked as soon as it is replaced): never in any storage, and it leaves
 * the browser only sealed, once the reporter chooses "Use this recording".
 *
 * @module voice
 */

import { templateTexts } from "./enhance.js";

/** English fallbacks; the page's `<template id="voice-texts">` has them translated. */
const FALLBACK_TEXTS = {
  "no-microphone":
    "The microphone could not be used. Allow this page to use it, or attach a sound file " +
    "instead.",
  failed: "The recording did not work. Please try again, or write instead.",
  "at-limit": "The recording stopped by itself at {limit}, the longest a voice message can be.",
};

/**
 * What the recorder may make, best first: each is a type the line takes by its bytes.
 *
 * @typedef {{mimeType: string, type: string, extension: string}} Format
 * @type {readonly Format[]}
 */
const FORMATS = Object.freeze([
  { mimeType: "audio/webm;codecs=opus", type: "audio/webm", extension: "webm" },
  { mimeType: "audio/webm", type: "audio/webm", extension: "webm" },
  { mimeType: "audio/ogg;codecs=opus", type: "audio/ogg", extension: "ogg" },
  { mimeType: "audio/ogg", type: "audio/ogg", extension: "ogg" },
  { mimeType: "audio/mp4", type: "audio/mp4", extension: "m4a" },
]);
const DEFAULT_MAX_SECONDS = 300;
/** Enough for a clear voice: five minutes stay near 2.4 MB, well inside a file's limit. */
const BITS_PER_SECOND = 64_000;
/** How often the time shown is brought up to date, in milliseconds. */
const TICK_MS = 250;
const FILE_NAME = "voice-message";

/** @typedef {"idle" | "asking" | "recording" | "review"} State */

/**
 * The format this browser records in, or null when it cannot record one the line takes.
 *
 * @returns {Format | null}
 */
function recordingFormat() {
  if (
    typeof MediaRecorder !== "function" ||
    typeof navigator.mediaDevices?.getUserMedia !== "function"
  ) {
    return null;
  }
  return FORMATS.find((format) => MediaRecorder.isTypeSupported(format.mimeType)) ?? null;
}

/**
 * Offer a voice message in an evidence field that the page has taken over; null when the
 * field has no such block or the browser cannot record.
 *
 * @param {HTMLElement} field the evidence field (`[data-evidence-field]`)
 * @param {(file: File) => void} add hands a finished recording to the field, as a file
 * @returns {VoiceMessage | null}
 */
export function offerVoiceMessage(field, add) {
  const root = field.querySelector("[data-voice-message]");
  const format = recordingFormat();
  if (!(root instanceof HTMLElement) || format === null) {
    return null;
  }
  const voice = new VoiceMessage(root, format, add);
  root.hidden = false;
  return voice;
}

class VoiceMessage {
  /** @type {State} */
  state = "idle";
  /** @type {MediaStream | null} the microphone, while it is in use */
  stream = null;
  /** @type {MediaRecorder | null} */
  recorder = null;
  /** @type {Blob | null} the recording waiting for the reporter's choice */
  recording = null;
  url = "";
  started = 0;
  stoppedAtLimit = false;
  /** recordings handed to the field so far, so that each has its own name */
  used = 0;
  /** microphone requests so far: an answer that comes after the page moved on is dropped */
  attempts = 0;
  ticker = 0;
  limitTimer = 0;

  /**
   * @param {HTMLElement} root
   * @param {Format} format
   * @param {(file: File) => void} add
   */
  constructor(root, format, add) {
    this.root = root;
    this.format = format;
    this.add = add;
    this.say = { ...FALLBACK_TEXTS, ...nonEmpty(templateTexts("voice-texts")) };
    const part = (name) => /** @type {HTMLElement} */ (root.querySelector(`[data-voice-${name}]`));
    this.idle = part("idle");
    this.startButton = part("start");
    this.recordingPanel = part("recording");
    this.elapsed = part("elapsed");
    this.limit = part("limit");
    this.stopButton = part("stop");
    this.review = part("review");
    this.audio = /** @type {HTMLAudioElement} */ (part("audio"));
    this.note = part("note");
    this.problem = part("problem");
    this.startButton.addEventListener("click", () => this.start());
    this.stopButton.addEventListener("click", () => this.stop());
    part("use").addEventListener("click", () => this.use());
    part("again").addEventListener("click", () => this.start());
    part("delete").addEventListener("click", () => this.delete());
    // Leaving or hiding the page (the quick exit too) ends it all, microphone first.
    window.addEventListener("pagehide", () => this.discard());
    document.addEventListener("advisory:quick-exit", () => this.discard());
    this.show();
  }

  /** The longest recording, in seconds (`data-max-seconds`, read at each start). */
  maxSeconds() {
    return Number(this.root.dataset.maxSeconds) || DEFAULT_MAX_SECONDS;
  }

  /** Ask for the microphone (sound only) and record, dropping any recording not used. */
  async start() {
    if (this.state === "asking" || this.state === "recording") {
      return;
    }
    this.forgetRecording();
    this.showNote("");
    this.state = "asking";
    this.show();
    const attempt = ++this.attempts;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch {
      if (attempt === this.attempts && this.state === "asking") {
        this.fail("no-microphone");
      }
      return;
    }
    if (attempt !== this.attempts || this.state !== "asking") {
      stopTracks(stream); // the page was hidden while the browser asked
      return;
    }
    this.stream = stream;
    const sound = stream.getAudioTracks();
    for (const track of stream.getVideoTracks()) {
      track.stop(); // never video, whatever the browser gave
    }
    let recorder;
    try {
      if (!sound.length) {
        throw new Error("no sound track");
      }
      recorder = new MediaRecorder(new MediaStream(sound), {
        mimeType: this.format.mimeType,
        audioBitsPerSecond: BITS_PER_SECOND,
      });
    } catch {
      this.fail("no-microphone");
      return;
    }
    /** @type {Blob[]} */
    const chunks = [];
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) {
        chunks.push(event.data);
      }
    });
    recorder.addEventListener("stop", () => this.finished(recorder, chunks));
    recorder.addEventListener("error", () => {
      if (this.recorder === recorder) {
        this.fail("failed");
      }
    });
    this.recorder = recorder;
    this.stoppedAtLimit = false;
    try {
      recorder.start(1000);
    } catch {
      this.fail("failed");
      return;
    }
    this.started = Date.now();
    this.state = "recording";
    this.limit.textContent = minutesAndSeconds(this.maxSeconds());
    this.tick();
    this.ticker = window.setInterval(() => this.tick(), TICK_MS);
    this.limitTimer = window.setTimeout(() => this.stop(true), this.maxSeconds() * 1000);
    this.show();
    this.stopButton.focus();
  }

  /**
   * Stop recording (by the reporter, or at the limit) and release the microphone; the
   * recorder's "stop" event brings the recording (`finished`).
   *
   * @param {boolean} [atLimit]
   */
  stop(atLimit = false) {
    if (this.state !== "recording" || !this.recorder) {
      return;
    }
    this.stoppedAtLimit = atLimit;
    this.stopTimers();
    if (this.recorder.state !== "inactive") {
      this.recorder.stop();
    }
    this.releaseMicrophone();
  }

  /**
   * The recorder has given all it recorded: offer it to be listened to.
   *
   * @param {MediaRecorder} recorder
   * @param {Blob[]} chunks
   */
  finished(recorder, chunks) {
    if (this.recorder !== recorder) {
      return; // discarded meanwhile
    }
    this.recorder = null;
    this.stopTimers();
    this.releaseMicrophone();
    const type = (recorder.mimeType || this.format.mimeType).split(";")[0].trim();
    const recording = new Blob(chunks, { type: type || this.format.type });
    chunks.length = 0;
    if (!recording.size) {
      this.fail("failed");
      return;
    }
    this.recording = recording;
    this.url = URL.createObjectURL(recording);
    this.audio.src = this.url;
    this.state = "review";
    this.showNote(
      this.stoppedAtLimit
        ? this.say["at-limit"].replaceAll("{limit}", minutesAndSeconds(this.maxSeconds()))
        : "",
    );
    this.show();
    this.audio.focus();
  }

  /** Hand the recording to the evidence field, which seals and uploads it like a file. */
  use() {
    if (this.state !== "review" || !this.recording) {
      return;
    }
    const recording = this.recording;
    this.used += 1;
    const suffix = this.used > 1 ? `-${this.used}` : "";
    const extension = extensionOf(recording.type) ?? this.format.extension;
    const file = new File([recording], `${FILE_NAME}${suffix}.${extension}`, {
      type: recording.type,
    });
    this.forgetRecording();
    this.showNote("");
    this.state = "idle";
    this.show();
    this.startButton.focus();
    this.add(file);
  }

  /** Throw the recording away. */
  delete() {
    this.discard();
    this.startButton.focus();
  }

  /** End everything: a recording under way or waiting, and the microphone. */
  discard() {
    const recorder = this.recorder;
    this.recorder = null;
    if (recorder && recorder.state !== "inactive") {
      recorder.stop();
    }
    this.stopTimers();
    this.releaseMicrophone();
    this.forgetRecording();
    this.showNote("");
    this.state = "idle";
    this.show();
  }

  /** @param {string} key the text that says why there is no recording */
  fail(key) {
    this.discard();
    this.problem.textContent = this.say[key] ?? key;
    this.problem.hidden = false;
    this.startButton.focus();
  }

  /** @param {string} text a note beside the recording, or none */
  showNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
    this.problem.hidden = true;
  }

  releaseMicrophone() {
    if (this.stream) {
      stopTracks(this.stream);
      this.stream = null;
    }
  }

  forgetRecording() {
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
    if (this.url) {
      URL.revokeObjectURL(this.url);
      this.url = "";
    }
    this.recording = null;
  }

  stopTimers() {
    window.clearInterval(this.ticker);
    window.clearTimeout(this.limitTimer);
    this.ticker = 0;
    this.limitTimer = 0;
  }

  tick() {
    const seconds = Math.min((Date.now() - this.started) / 1000, this.maxSeconds());
    this.elapsed.textContent = minutesAndSeconds(Math.floor(seconds));
  }

  show() {
    const state = this.state;
    this.root.dataset.state = state;
    this.idle.hidden = state === "recording" || state === "review";
    this.recordingPanel.hidden = state !== "recording";
    this.review.hidden = state !== "review";
  }
}

/** @param {MediaStream} stream */
function stopTracks(stream) {
  for (const track of stream.getTracks()) {
    track.stop();
  }
}

/**
 * @param {number} seconds
 * @returns {string} e.g. "4:05"
 */
function minutesAndSeconds(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/**
 * @param {string} type e.g. "audio/webm"
 * @returns {string | undefined}
 */
function extensionOf(type) {
  return FORMATS.find((format) => format.type === type)?.extension;
}

/**
 * @param {Record<string, string>} texts
 * @returns {Record<string, string>}
 */
function nonEmpty(texts) {
  return Object.fromEntries(Object.entries(texts).filter(([, text]) => text));
}
