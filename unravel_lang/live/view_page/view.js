// The live view: draws each track's latent frames when they sound, scheduled by the due time
// the server sends with every frame (time.monotonic() seconds on the server), mapped to this
// page's clock by ping/pong. Plain canvas; nothing from the network but the server's socket.
(() => {
  "use strict";
  const LUT = window.UNRAVEL_RDBU_R;
  const HIST = 1024;          // latent frames kept per track (the ring of the offscreen image)
  const MIN_WINDOW = 64;      // frames shown at least; else four bars
  const LAG_EVERY = 500;      // ms between lag reports to the server
  const FLOOR_DB = -90, METER_LOW = -60;

  const view = {
    offset: null, rtt: Infinity, pongs: [], period: 2048 / 44100,
    ref: null,                // {frame, due}: maps engine frames to server seconds
    tracks: new Map(), grids: [], mix: [], state: {}, lags: [], lagHistory: [], drawnFrames: 0,
    lastLagFrame: -1, ws: null, connected: false, level: null,
  };

  // ---- clocks -----------------------------------------------------------------------------
  function serverNow() {     // server seconds now, or null before the clock is known
    return view.offset === null ? null : (performance.now() + view.offset) / 1000;
  }
  function frameNow(now) {  // the engine frame sounding at server second `now` (fractional)
    if (view.ref === null || now === null) return null;
    return view.ref.frame + (now - view.ref.due) / view.period;
  }
  function onPong(msg) {
    const t = performance.now();
    const rtt = t - msg.c;
    view.pongs.push({ rtt, offset: msg.s * 1000 - (msg.c + rtt / 2) });
    if (view.pongs.length > 12) view.pongs.shift();
    let best = view.pongs[0];
    for (const p of view.pongs) if (p.rtt < best.rtt) best = p;
    view.offset = best.offset;
    view.rtt = best.rtt;
  }

  // ---- the grid ---------------------------------------------------------------------------
  function noteGrid(first, grid) {
    const last = view.grids[view.grids.length - 1];
    if (last && last.origin === grid[0] && last.k === grid[1] && last.bpb === grid[2]) return;
    view.grids.push({ from: first, origin: grid[0], k: grid[1], bpb: grid[2] });
    view.grids.sort((a, b) => a.from - b.from);
    if (view.grids.length > 64) view.grids.shift();
  }
  function gridAt(f) {
    let g = null;
    for (const x of view.grids) { if (x.from <= f || g === null) g = x; else break; }
    return g;
  }

  // ---- tracks -------------------------------------------------------------------------------
  function track(name) {
    let t = view.tracks.get(name);
    if (!t) {
      t = { name, el: null, canvas: null, ctx: null, img: null, imgCtx: null, voices: 0, dims: 0,
            pending: new Map(), written: null, vmax: 1e-6, end: null, first: null, source: "",
            columns: new Map() };
      view.tracks.set(name, t);
    }
    return t;
  }
  function makePanel(t) {
    const el = document.createElement("div");
    el.className = "track";
    el.dataset.track = t.name;
    el.innerHTML = '<div class="head"><span class="name"></span><code class="src"></code></div>' +
                   '<canvas class="heat"></canvas>';
    el.querySelector(".name").textContent = t.name;
    el.querySelector(".src").textContent = t.source;
    document.getElementById("tracks").appendChild(el);
    t.el = el;
    t.canvas = el.querySelector("canvas");
    t.ctx = t.canvas.getContext("2d");
    document.getElementById("silence").style.display = "none";
  }
  function removeTrack(t) {
    if (t.el) t.el.remove();
    view.tracks.delete(t.name);
    if (![...view.tracks.values()].some((x) => x.el)) {
      document.getElementById("silence").style.display = "";
    }
  }
  function ensureImage(t) {
    const rows = t.voices * t.dims;
    if (t.img && t.img.height === rows) return;
    t.img = document.createElement("canvas");
    t.img.width = HIST;
    t.img.height = Math.max(1, rows);
    t.imgCtx = t.img.getContext("2d");
    t.column = t.imgCtx.createImageData(1, t.img.height);
  }
  function writeColumn(t, f, col) {   // col: {due, rows: {voice: row}} or undefined (silence)
    ensureImage(t);
    const px = t.column.data;
    px.fill(0);
    let sum = 0, n = 0;
    if (col) {
      for (const [voice, row] of Object.entries(col.rows)) {
        for (let d = 0; d < row.length; d++) {
          const v = row[d];
          if (v === null) continue;
          sum += v; n += 1;
          let i = Math.round((v / t.vmax + 1) * 127.5);
          i = i < 0 ? 0 : i > 255 ? 255 : i;
          const y = Number(voice) * t.dims + d;
          px[4 * y] = LUT[3 * i]; px[4 * y + 1] = LUT[3 * i + 1]; px[4 * y + 2] = LUT[3 * i + 2];
          px[4 * y + 3] = 255;
        }
      }
    }
    t.imgCtx.putImageData(t.column, ((f % HIST) + HIST) % HIST, 0);
    if (n) t.columns.set(f, sum / n); else t.columns.delete(f);
    t.columns.delete(f - HIST);
  }

  // ---- messages -----------------------------------------------------------------------------
  function onTick(msg) {
    view.period = msg.period;
    for (const [name, voice, first, due, rows, grid] of msg.frames) {
      const t = track(name);
      if (t.end !== null && first >= t.end) { t.end = null; }  // started again
      noteGrid(first, grid);
      view.ref = { frame: first, due };
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        const f = first + i;
        if (t.end !== null && f >= t.end) break;
        t.dims = Math.max(t.dims, row.length);
        t.voices = Math.max(t.voices, voice + 1);
        for (const v of row) if (v !== null && Math.abs(v) > t.vmax) t.vmax = Math.abs(v);
        let col = t.pending.get(f);
        if (!col) { col = { due: due + i * view.period, rows: {} }; t.pending.set(f, col); }
        col.rows[voice] = row;
        if (t.first === null || f < t.first) t.first = f;
      }
    }
    for (const m of msg.mix) view.mix.push(m);
    if (view.mix.length > 400) view.mix.splice(0, view.mix.length - 400);
    view.state = msg.state || {};
    applyState();
  }
  function applyState() {
    const st = view.state;
    const alive = st.tracks || {};
    const ends = st.ends || {};
    for (const t of view.tracks.values()) {
      if (t.name in alive) {
        t.source = alive[t.name];
        if (t.el) t.el.querySelector(".src").textContent = t.source;
      } else if (t.name in ends) {
        if (t.end === null || t.end > ends[t.name]) {
          t.end = ends[t.name];
          for (const f of [...t.pending.keys()]) if (f >= t.end) t.pending.delete(f);
        }
      } else if (t.end === null) {
        const now = frameNow(serverNow());
        t.end = now === null ? -Infinity : Math.ceil(now);
      }
    }
    const endFrames = Object.values(ends);
    if (!Object.keys(alive).length && endFrames.length && view.ref !== null) {
      // nothing sounds after the last end: the mix sent ahead of it is never heard
      const silentFrom = view.ref.due + (Math.max(...endFrames) - view.ref.frame) * view.period;
      view.mix = view.mix.filter((m) => m[1] < silentFrom);
    }
    document.getElementById("quantum").textContent = st.quantum ? "quantum " + st.quantum : "";
    document.getElementById("model").textContent = st.model ? "model " + st.model : "";
    document.getElementById("peers").textContent = (st.peers || []).join(" · ");
    const health = "underruns " + (st.underruns || 0) + (st.underflows ? " · underflows " +
      st.underflows : "") + " · viewers " + (st.viewers || 0);
    document.getElementById("health").textContent = health;
  }

  // ---- drawing ------------------------------------------------------------------------------
  let colours = {};           // the theme's colours, read once per theme
  function css(name) {
    if (!(name in colours)) {
      colours[name] = getComputedStyle(document.body).getPropertyValue(name).trim();
    }
    return colours[name];
  }
  function fit(canvas) {
    const r = canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    return [w, h];
  }
  function windowFrames(now) {
    const g = gridAt(Math.floor(now));
    return g ? Math.max(MIN_WINDOW, 4 * g.k * g.bpb) : MIN_WINDOW;
  }

  function advance(t, now) {   // write the columns that have become due; true when drawn new
    const upto = Math.floor(now);
    if (t.written === null) {
      if (t.first === null || t.first > upto) return false;
      t.written = t.first - 1;
    }
    if (upto - t.written > HIST) t.written = upto - HIST;
    let fresh = false;
    const wall = serverNow();
    for (let f = t.written + 1; f <= upto; f++) {
      const col = t.pending.get(f);
      t.pending.delete(f);
      writeColumn(t, f, col);
      if (col && f > view.lastLagFrame) {
        view.lastLagFrame = f;
        const lag = 1000 * (wall - col.due);
        view.lags.push(lag);
        view.lagHistory.push(lag);
        if (view.lagHistory.length > 2000) view.lagHistory.shift();
        view.drawnFrames += 1;
      }
      fresh = true;
    }
    t.written = Math.max(t.written, upto);
    return fresh;
  }

  function drawTrack(t, now, span) {
    const [w, h] = fit(t.canvas);
    const ctx = t.ctx;
    ctx.clearRect(0, 0, w, h);
    if (!t.img) return;
    const ruler = Math.round(Math.min(18, h / 5));   // the beat ruler above the heatmap
    const hh = h - ruler;
    const colW = w / span;
    const newest = Math.floor(now);
    const oldest = newest - span;
    ctx.imageSmoothingEnabled = false;
    const x = (f) => w - (now - f) * colW;
    // the image ring, in at most two pieces
    let f = Math.max(oldest, t.written - HIST + 1);
    while (f <= newest) {
      const sx = ((f % HIST) + HIST) % HIST;
      const n = Math.min(newest - f + 1, HIST - sx);
      ctx.drawImage(t.img, sx, 0, n, t.img.height, x(f), ruler, n * colW, hh);
      f += n;
    }
    // voices apart
    ctx.fillStyle = css("--heat-bg");
    for (let v = 1; v < t.voices; v++) {
      ctx.fillRect(0, ruler + Math.round(v * hh / t.voices) - 1, w, 3);
    }
    // beat and bar lines: black across the heatmap, theme colours on the ruler
    const beat = css("--beat-line"), bar = css("--bar-line");
    ctx.font = Math.max(10, ruler - 4) + "px " + css("--mono");
    ctx.textBaseline = "top";
    for (let g = oldest; g <= newest + 1; g++) {
      const grid = gridAt(g);
      if (!grid) break;
      const rel = g - grid.origin;
      if (rel % grid.k !== 0) continue;
      const isBar = rel % (grid.k * grid.bpb) === 0;
      const gx = Math.round(x(g));
      ctx.fillStyle = isBar ? "rgba(0,0,0,0.9)" : "rgba(0,0,0,0.45)";
      ctx.fillRect(gx - (isBar ? 1 : 0), ruler, isBar ? 3 : 1, hh);
      ctx.fillStyle = isBar ? bar : beat;
      ctx.fillRect(gx - (isBar ? 1 : 0), isBar ? 0 : ruler / 2, isBar ? 3 : 2,
                   isBar ? ruler : ruler / 2);
      if (isBar && rel >= 0) ctx.fillText(String(rel / (grid.k * grid.bpb) + 1), gx + 4, 2);
    }
    // the playhead: the frame heard now enters at the right edge
    ctx.fillStyle = css("--accent");
    ctx.fillRect(w - 4, 0, 4, h);
  }

  function drawOutput(now) {
    let m = null;
    while (view.mix.length && view.mix[0][1] <= now) m = view.mix.shift();
    if (m) view.level = { at: now, rms: m[2], peak: m[3], spec: m[4] };
    const lv = view.level && now - view.level.at < 0.3 ? view.level : null;
    const meter = document.getElementById("meter");
    let [w, h] = fit(meter);
    let ctx = meter.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    const scale = (db) => Math.max(0, Math.min(1, (db - METER_LOW) / -METER_LOW));
    if (lv) {
      const rh = scale(lv.rms) * h, ph = scale(lv.peak) * h;
      ctx.fillStyle = lv.peak > -1 ? css("--meter-hot") : css("--meter");
      ctx.fillRect(w * 0.15, h - rh, w * 0.7, rh);
      ctx.fillStyle = css("--fg");
      ctx.fillRect(w * 0.1, h - ph - 2, w * 0.8, 3);
    }
    const spec = document.getElementById("spectrum");
    [w, h] = fit(spec);
    ctx = spec.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    if (lv) {
      const n = lv.spec.length, bw = w / n;
      ctx.fillStyle = css("--spec");
      for (let i = 0; i < n; i++) {
        const bh = Math.max(0, (lv.spec[i] - FLOOR_DB) / -FLOOR_DB) * h;
        ctx.fillRect(i * bw + 1, h - bh, Math.max(1, bw - 2), bh);
      }
    }
  }

  function drawHeader(now) {
    const g = gridAt(Math.floor(now));
    if (!g) return;
    const bpm = 60 / (g.k * view.period);
    document.getElementById("tempo").textContent =
      "k=" + g.k + " · " + bpm.toFixed(2) + " BPM · " + g.bpb + "/4";
    const rel = Math.max(0, Math.floor(now) - g.origin);
    const bar = Math.floor(rel / (g.k * g.bpb)) + 1;
    const beatNo = Math.floor((rel % (g.k * g.bpb)) / g.k) + 1;
    document.getElementById("position").textContent = "bar " + bar + "." + beatNo;
  }

  function frame() {
    requestAnimationFrame(frame);
    const wall = serverNow();
    const now = frameNow(wall);
    if (now === null) return;
    const span = windowFrames(now);
    for (const t of [...view.tracks.values()]) {
      if (t.end !== null && now >= t.end) { removeTrack(t); continue; }
      advance(t, now);
      if (t.written === null) continue;
      if (!t.el) makePanel(t);
      drawTrack(t, now, span);
    }
    drawOutput(wall);
    drawHeader(now);
  }

  // ---- the connection -------------------------------------------------------------------
  function connect() {
    const ws = new WebSocket("ws://" + location.host + "/ws");
    view.ws = ws;
    ws.onopen = () => {
      view.connected = true;
      const c = document.getElementById("conn");
      c.textContent = "live"; c.className = "field on";
      for (let i = 0; i < 6; i++) setTimeout(ping, 60 * i);
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.t === "pong") onPong(msg);
      else if (msg.t === "tick") onTick(msg);
    };
    ws.onclose = () => {
      view.connected = false;
      const c = document.getElementById("conn");
      c.textContent = "disconnected — retrying"; c.className = "field off";
      for (const t of [...view.tracks.values()]) removeTrack(t);
      view.ref = null; view.grids = []; view.mix = []; view.pongs = []; view.offset = null;
      setTimeout(connect, 1000);
    };
  }
  function ping() {
    if (view.ws && view.ws.readyState === 1) {
      view.ws.send(JSON.stringify({ t: "ping", c: performance.now() }));
    }
  }
  setInterval(ping, 2000);
  setInterval(() => {
    if (view.lags.length && view.ws && view.ws.readyState === 1) {
      view.ws.send(JSON.stringify({ t: "lag", v: view.lags.splice(0, view.lags.length) }));
    }
  }, LAG_EVERY);

  // ---- theme --------------------------------------------------------------------------------
  function setTheme(name) {
    document.body.className = "theme-" + name;
    colours = {};
    document.getElementById("theme").textContent = name === "dark" ? "high contrast" : "dark";
    try { localStorage.setItem("unravel-theme", name); } catch (e) { /* private mode */ }
  }
  function toggleTheme() {
    setTheme(document.body.className === "theme-dark" ? "contrast" : "dark");
  }
  document.getElementById("theme").addEventListener("click", toggleTheme);
  document.addEventListener("keydown", (e) => { if (e.key === "c") toggleTheme(); });
  const asked = new URLSearchParams(location.search).get("theme");
  let stored = null;
  try { stored = localStorage.getItem("unravel-theme"); } catch (e) { /* private mode */ }
  setTheme(asked === "contrast" || asked === "dark" ? asked : stored || "dark");

  // ---- what tests and benchmarks read ---------------------------------------------------
  window.unravelView = {
    tracks: () => [...view.tracks.values()].filter((t) => t.el).map((t) => t.name),
    frameNow: () => frameNow(serverNow()),
    first: (name) => { const t = view.tracks.get(name); return t ? t.first : null; },
    columns: (name) => {   // [frame, mean latent value] of the columns drawn so far
      const t = view.tracks.get(name);
      return t ? [...t.columns.entries()].sort((a, b) => a[0] - b[0]) : [];
    },
    drawn: () => view.drawnFrames,
    lagStats: () => {      // display lag, ms from a frame's due time to its drawing
      const v = [...view.lagHistory].sort((a, b) => a - b);
      if (!v.length) return null;
      const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
      return { n: v.length, median: at(0.5), p95: at(0.95), max: v[v.length - 1] };
    },
    clock: () => ({ offset: view.offset, rtt: view.rtt }),
    state: () => view.state,
  };

  connect();
  requestAnimationFrame(frame);
})();
