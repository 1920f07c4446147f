// pyds live-captions page: microphone -> AudioWorklet resampler (16 kHz s16le) -> /ws (Vosk protocol);
// file upload -> /v1/audio/transcriptions (OpenAI protocol). Served by pyds itself, no CDN.
"use strict";

const RATE = 16000;
const FRAME_MS = 160; // 100-200 ms frames: small enough for live partials, large enough to batch well
const MAX_BACKLOG = Math.round((10 * 1000) / FRAME_MS); // frames kept while reconnecting (10 s)

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.get("api_key")) $("api-key").value = params.get("api_key");

function apiKey() {
  return $("api-key").value.trim();
}

function setState(state, message) {
  document.body.dataset.state = state;
  if (message !== undefined) $("status").textContent = message;
}

// -- captions -----------------------------------------------------------------------------------------
function showPartial(text) {
  $("partial").textContent = text;
}

function addFinal(text) {
  showPartial("");
  if (!text) return;
  const span = document.createElement("span");
  span.className = "final";
  span.textContent = text + " ";
  $("transcript").insertBefore(span, $("partial"));
  $("transcript").scrollTop = $("transcript").scrollHeight;
}

// -- the WebSocket, with reconnection -------------------------------------------------------------------
const live = {
  ws: null,
  recording: false,
  finishing: false,
  backlog: [],
  delay: 500,
  timer: null,
  audio: null, // { ctx, stream, node }
};

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const key = apiKey();
  return `${scheme}://${location.host}/ws` + (key ? `?api_key=${encodeURIComponent(key)}` : "");
}

function connect() {
  live.timer = null;
  const ws = new WebSocket(wsUrl());
  ws.binaryType = "arraybuffer";
  live.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ config: { sample_rate: RATE, words: 1 } }));
    while (live.backlog.length) ws.send(live.backlog.shift());
    if (live.finishing) ws.send('{"eof" : 1}');
    else setState("recording", "Listening…");
  };
  ws.onmessage = (e) => {
    live.delay = 500; // a working connection resets the backoff
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    if (msg.error) $("status").textContent = "Server: " + msg.error;
    else if (msg.partial !== undefined) showPartial(msg.partial);
    else if (msg.text !== undefined) addFinal(msg.text);
    else if (msg.alternatives) addFinal(msg.alternatives.length ? msg.alternatives[0].text : "");
  };
  ws.onclose = (e) => {
    if (live.ws !== ws) return;
    live.ws = null;
    if (live.finishing && e.code === 1000) {
      live.finishing = false;
      setState("idle", "Stopped.");
      return;
    }
    if (live.recording || live.finishing) {
      const wait = live.delay;
      live.delay = Math.min(8000, live.delay * 2);
      setState(live.recording ? "reconnecting" : "stopping", `Connection lost (${e.code}); retrying in ${wait / 1000} s…`);
      live.timer = setTimeout(connect, wait);
    }
  };
}

function sendFrame(buffer) {
  if (live.ws && live.ws.readyState === WebSocket.OPEN) {
    live.ws.send(buffer);
  } else {
    live.backlog.push(buffer);
    if (live.backlog.length > MAX_BACKLOG) live.backlog.shift();
  }
}

// -- microphone ---------------------------------------------------------------------------------------
async function start() {
  setState("starting", "Starting the microphone…");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  } catch (err) {
    setState("idle", "No microphone: " + err.message);
    return;
  }
  const ctx = new AudioContext(); // the device's own rate (44.1/48 kHz); the worklet resamples
  await ctx.audioWorklet.addModule("/static/resampler-worklet.js");
  const node = new AudioWorkletNode(ctx, "pyds-resampler", {
    processorOptions: { targetRate: RATE, frameMs: FRAME_MS },
  });
  node.port.onmessage = (e) => {
    if (e.data instanceof ArrayBuffer) sendFrame(e.data);
    else if (e.data && e.data.flushed) finish();
  };
  ctx.createMediaStreamSource(stream).connect(node);
  node.connect(ctx.destination); // the node outputs silence; being connected keeps it processing
  live.audio = { ctx, stream, node };
  live.recording = true;
  live.finishing = false;
  live.backlog = [];
  live.delay = 500;
  $("record").setAttribute("aria-pressed", "true");
  $("record").textContent = "■ Stop";
  $("status").dataset.rate = String(ctx.sampleRate);
  setState("connecting", `Connecting… (microphone at ${ctx.sampleRate} Hz)`);
  connect();
}

function stop() {
  if (!live.audio) return;
  live.recording = false;
  live.finishing = true;
  setState("stopping", "Finishing…");
  $("record").setAttribute("aria-pressed", "false");
  $("record").textContent = "● Record";
  live.audio.stream.getTracks().forEach((t) => t.stop());
  live.audio.node.port.postMessage("flush"); // the partial frame, then {flushed} -> finish()
}

function finish() {
  if (live.audio) {
    live.audio.ctx.close();
    live.audio = null;
  }
  if (live.ws && live.ws.readyState === WebSocket.OPEN) live.ws.send('{"eof" : 1}');
  else if (!live.ws && !live.timer) connect(); // sends the backlog and eof once connected
}

$("record").addEventListener("click", () => {
  if (live.recording) stop();
  else if (document.body.dataset.state === "idle") start();
});

// -- file upload --------------------------------------------------------------------------------------
let modelId = "pyds";

function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function transcribeFile(format) {
  const file = $("file").files[0];
  if (!file) throw new Error("choose an audio file first");
  const form = new FormData();
  form.append("file", file);
  form.append("model", modelId);
  form.append("response_format", format);
  const res = await fetch("/v1/audio/transcriptions", { method: "POST", body: form, headers: authHeaders() });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = (await res.json()).error.message;
    } catch {}
    throw new Error(message);
  }
  return format === "json" ? (await res.json()).text : await res.text();
}

$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("file-status").textContent = "Transcribing…";
  $("file-result").textContent = "";
  try {
    $("file-result").textContent = await transcribeFile("json");
    $("file-status").textContent = "Done.";
    $("download-srt").disabled = $("download-vtt").disabled = false;
  } catch (err) {
    $("file-status").textContent = "Error: " + err.message;
  }
});

async function download(format) {
  $("file-status").textContent = `Preparing .${format}…`;
  try {
    const text = await transcribeFile(format);
    const name = $("file").files[0].name.replace(/\.[^.]*$/, "") + "." + format;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: format === "vtt" ? "text/vtt" : "application/x-subrip" }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    $("file-status").textContent = `Saved ${name}.`;
  } catch (err) {
    $("file-status").textContent = "Error: " + err.message;
  }
}

$("download-srt").addEventListener("click", () => download("srt"));
$("download-vtt").addEventListener("click", () => download("vtt"));
$("file").addEventListener("change", () => {
  $("download-srt").disabled = $("download-vtt").disabled = true;
});

fetch("/v1/models", { headers: authHeaders() })
  .then((r) => (r.ok ? r.json() : null))
  .then((doc) => {
    if (doc && doc.data && doc.data.length) {
      modelId = doc.data[0].id;
      $("model").textContent = "model: " + modelId;
    }
  })
  .catch(() => {});
