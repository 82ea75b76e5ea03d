/* The layerwise Playground page.
 *
 * The network trains on the server (a layerwise model); this script draws
 * what the server streams over a WebSocket and sends the page's commands.
 * Messages from the server: JSON "state" messages (settings, URL fragment,
 * network shape, data points, notices) and binary frames (epoch, losses,
 * weights, the big heatmap and one thumbnail per neuron; layout in
 * layerwise/playground/session.py). Each frame is acknowledged as it
 * arrives and the server sends the next one only then, so the page is never
 * flooded; the page paints the latest frame at its next animation frame.
 */
(function () {
  "use strict";

  const GRID = 100;             // heatmap resolution (the original's DENSITY)
  const THUMB = 10;             // thumbnail resolution
  const DOMAIN = 6;             // the plane is [-DOMAIN, DOMAIN]^2
  const RECT = 30;              // a neuron's square
  const BIAS = 5;               // a bias's square
  const NODE_STEP = RECT + 25;  // vertical distance between neurons
  const FEATURE_WIDTH = 118;
  const HEATMAP_PX = 260;
  const MAX_LAYERS = 6;
  const MAX_NEURONS = 8;
  const MAX_IMPORT_BYTES = 1024 * 1024;
  const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const FEATURES = {
    x: {label: "X\u2081", f: (x, y) => x},
    y: {label: "X\u2082", f: (x, y) => y},
    xSquared: {label: "X\u2081\u00b2", f: (x, y) => x * x},
    ySquared: {label: "X\u2082\u00b2", f: (x, y) => y * y},
    xTimesY: {label: "X\u2081X\u2082", f: (x, y) => x * y},
    sinX: {label: "sin(X\u2081)", f: (x, y) => Math.sin(x)},
    sinY: {label: "sin(X\u2082)", f: (x, y) => Math.sin(y)},
  };
  const HIDABLE_CONTROLS = [
    ["showTestData", "Show test data"], ["discretize", "Discretize output"], ["playButton", "Play button"],
    ["stepButton", "Step button"], ["resetButton", "Reset button"], ["learningRate", "Learning rate"],
    ["activation", "Activation"], ["regularization", "Regularization"],
    ["regularizationRate", "Regularization rate"], ["problem", "Problem type"], ["dataset", "Which dataset"],
    ["percTrainData", "Ratio train data"], ["noise", "Noise level"], ["batchSize", "Batch size"],
    ["numHiddenLayers", "# of hidden layers"],
  ];
  const SVG_NS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ colours (the original's scales)

  const ORANGE = [245, 147, 34], GREY = [232, 234, 235], BLUE = [8, 119, 189];

  function mix(a, b, t) {
    return [0, 1, 2].map(i => Math.round(a[i] + (b[i] - a[i]) * t));
  }

  /** Continuous orange-grey-blue over [-1, 1], clamped: links, biases. */
  function colorOf(value) {
    if (!Number.isFinite(value)) return "rgb(160,160,160)";
    const v = Math.max(-1, Math.min(1, value));
    const c = v < 0 ? mix(GREY, ORANGE, -v) : mix(GREY, BLUE, v);
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  // 31 shades quantising [-1, 1]: the heatmaps and the data points.
  const SHADES = [];
  for (let i = 0; i <= 30; i++) {
    const t = i / 30;
    SHADES.push(t < 0.5 ? mix(ORANGE, GREY, t * 2) : mix(GREY, BLUE, (t - 0.5) * 2));
  }

  function shadeOf(value) {
    if (!Number.isFinite(value)) return [160, 160, 160];
    const index = Math.floor(SHADES.length * (value + 1) / 2);
    return SHADES[Math.max(0, Math.min(SHADES.length - 1, index))];
  }

  function shadeCss(value) {
    const c = shadeOf(value);
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  // ------------------------------------------------------------------ page state

  const page = {
    socket: null,
    session: null,
    state: null,
    shape: [2, 4, 2, 1],
    features: ["x", "y"],
    visibleFeatures: Object.keys(FEATURES),
    netVersion: -1,
    playing: false,
    points: {train: [], test: []},
    thumbnails: null,
    pendingFrame: null,
    drawScheduled: false,
    lastHeat: null,
    lossSeries: [],
    weights: null,
    hoverFeature: null,
    hoverNode: null,
    layout: null,
  };
  // What the tests (and the curious) can read: how many frames were drawn, and the latest numbers.
  const stats = {framesDrawn: 0, framesSkipped: 0, epoch: 0, lossTrain: NaN, lossTest: NaN,
                 netVersion: -1, connected: false, stateMessages: 0, lastSeq: 0, drawMs: 0,
                 drawnEpoch: 0, shownNode: -1, framePlaying: 0};
  window.playgroundStats = stats;

  const $ = id => document.getElementById(id);

  function send(message) {
    if (page.socket && page.socket.readyState === WebSocket.OPEN) {
      page.socket.send(JSON.stringify(message));
    }
  }

  function setting(key, value) {
    send({type: "set", key: key, value: value});
  }

  // ------------------------------------------------------------------ notices (text only: never HTML)

  function showNotices(lines) {
    if (!lines || !lines.length) return;
    const list = $("notice-list");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    }
    while (list.children.length > 8) list.removeChild(list.firstChild);
    $("notices").hidden = false;
  }

  // ------------------------------------------------------------------ the connection

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    socket.binaryType = "arraybuffer";
    page.socket = socket;
    socket.onopen = () => {
      stats.connected = true;
      socket.send(JSON.stringify({type: "hello", hash: location.hash.replace(/^#/, "")}));
    };
    socket.onmessage = event => {
      if (typeof event.data === "string") {
        handleMessage(JSON.parse(event.data));
      } else {
        receiveFrame(event.data);
      }
    };
    socket.onclose = () => {
      stats.connected = false;
      showNotices(["The connection to the Playground server was closed; reload the page to start again."]);
      $("play-pause-button").classList.remove("playing");
    };
  }

  function scheduleDraw() {
    if (page.drawScheduled) return;
    page.drawScheduled = true;
    requestAnimationFrame(() => {
      page.drawScheduled = false;
      const frame = page.pendingFrame;
      page.pendingFrame = null;
      if (frame) drawFrame(frame);
    });
  }

  function handleMessage(message) {
    if (message.type === "error") {
      showNotices([message.message]);
      return;
    }
    if (message.type !== "state") return;
    stats.stateMessages++;
    page.session = message.session;
    page.state = message.state;
    page.playing = message.playing;
    page.features = message.features;
    page.visibleFeatures = message.visibleFeatures;
    history.replaceState(null, "", "#" + message.hash);
    showNotices(message.notices);
    if (message.thumbnails) {
      page.thumbnails = message.thumbnails;
    }
    if (message.points) {
      page.points = message.points;
    }
    if (message.netVersion !== page.netVersion || JSON.stringify(message.shape) !== JSON.stringify(page.shape)) {
      page.netVersion = message.netVersion;
      stats.netVersion = message.netVersion;
      page.shape = message.shape;
      page.lossSeries = [];
      page.weights = null;
      page.pendingFrame = null;
      drawNetwork();
    }
    updateControls();
    drawDatasetThumbnails();
    drawPoints();
    $("iter-number").textContent = formatEpoch(message.epoch);
  }

  // ------------------------------------------------------------------ controls

  function fillRateSelect(select, rates, current) {
    const values = rates.slice();
    if (!values.some(v => v === current)) values.push(current);
    values.sort((a, b) => a - b);
    const wanted = values.map(String).join("|");
    if (select.dataset.options !== wanted) {
      select.textContent = "";
      for (const v of values) {
        const option = document.createElement("option");
        option.value = String(v);
        option.textContent = String(v);
        select.appendChild(option);
      }
      select.dataset.options = wanted;
    }
    select.value = String(current);
  }

  function updateControls() {
    const s = page.state;
    fillRateSelect($("learningRate"), LEARNING_RATES, s.learningRate);
    fillRateSelect($("regularRate"), REGULARIZATION_RATES, s.regularizationRate);
    $("activations").value = s.activation;
    $("regularizations").value = s.regularization;
    $("problem").value = s.problem;
    for (const key of ["percTrainData", "noise", "batchSize"]) {
      const input = $(key);
      input.value = String(s[key]);
      document.querySelector(`label[for='${key}'] .value`).textContent = String(s[key]);
    }
    $("show-test-data").checked = !!s.showTestData;
    $("discretize").checked = !!s.discretize;
    const layers = s.networkShape.length;
    $("num-layers").textContent = String(layers);
    $("layers-label").textContent = layers === 1 ? "hidden layer" : "hidden layers";
    $("play-pause-button").classList.toggle("playing", page.playing);
    for (const canvas of document.querySelectorAll("canvas[data-dataset]")) {
      canvas.classList.toggle("selected", canvas.dataset.dataset === s.dataset);
      canvas.parentNode.hidden = s.problem !== "classification";
    }
    for (const canvas of document.querySelectorAll("canvas[data-regdataset]")) {
      canvas.classList.toggle("selected", canvas.dataset.regdataset === s.regDataset);
      canvas.parentNode.hidden = s.problem !== "regression";
    }
    // Classroom links: hide what the link says to hide.
    for (const [name] of HIDABLE_CONTROLS) {
      const hidden = s[name + "_hide"] === true;
      for (const element of document.querySelectorAll(`.ui-${name}`)) {
        element.classList.toggle("hidden-by-link", hidden);
      }
    }
    const hideText = !!s.hideText;
    $("page-header").hidden = hideText;
    $("classroom").hidden = hideText;
    updateClassroom();
  }

  function updateClassroom() {
    const container = $("hide-controls");
    if (!container.children.length) {
      for (const [name, text] of HIDABLE_CONTROLS) {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.dataset.control = name;
        box.addEventListener("change", () => setting(name + "_hide", !box.checked));
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + text));
        container.appendChild(label);
      }
    }
    for (const box of container.querySelectorAll("input")) {
      box.checked = page.state[box.dataset.control + "_hide"] !== true;
    }
    const link = $("hide-controls-link");
    link.href = location.href;
    link.textContent = "this link";
  }

  function bindControls() {
    $("play-pause-button").addEventListener("click", () => send({type: page.playing ? "pause" : "play"}));
    $("next-step-button").addEventListener("click", () => send({type: "step"}));
    $("reset-button").addEventListener("click", () => send({type: "reset"}));
    $("data-regen-button").addEventListener("click", () => send({type: "regenerate"}));
    $("learningRate").addEventListener("change", e => setting("learningRate", Number(e.target.value)));
    $("regularRate").addEventListener("change", e => setting("regularizationRate", Number(e.target.value)));
    $("activations").addEventListener("change", e => setting("activation", e.target.value));
    $("regularizations").addEventListener("change", e => setting("regularization", e.target.value));
    $("problem").addEventListener("change", e => setting("problem", e.target.value));
    for (const key of ["percTrainData", "noise", "batchSize"]) {
      const input = $(key);
      input.addEventListener("input", () => {
        document.querySelector(`label[for='${key}'] .value`).textContent = input.value;
      });
      input.addEventListener("change", () => setting(key, Number(input.value)));
    }
    $("show-test-data").addEventListener("change", e => {
      page.state.showTestData = e.target.checked;
      drawPoints();
      setting("showTestData", e.target.checked);
    });
    $("discretize").addEventListener("change", e => {
      page.state.discretize = e.target.checked;
      redrawHeatmap();
      setting("discretize", e.target.checked);
    });
    for (const canvas of document.querySelectorAll("canvas[data-dataset]")) {
      canvas.addEventListener("click", () => setting("dataset", canvas.dataset.dataset));
    }
    for (const canvas of document.querySelectorAll("canvas[data-regdataset]")) {
      canvas.addEventListener("click", () => setting("regDataset", canvas.dataset.regdataset));
    }
    $("add-layers").addEventListener("click", () => {
      const shape = page.state.networkShape.slice();
      if (shape.length >= MAX_LAYERS) return;
      shape.push(2);
      setting("networkShape", shape);
    });
    $("remove-layers").addEventListener("click", () => {
      const shape = page.state.networkShape.slice();
      if (!shape.length) return;
      shape.pop();
      setting("networkShape", shape);
    });
    $("notices-close").addEventListener("click", () => {
      $("notices").hidden = true;
      $("notice-list").textContent = "";
    });
    $("export-script").addEventListener("click", () => download("export.py", "playground_model.py"));
    $("export-keras").addEventListener("click", () => download("export.keras", "playground_model.keras"));
    $("import-keras").addEventListener("click", () => $("import-file").click());
    $("import-file").addEventListener("change", e => {
      const file = e.target.files[0];
      e.target.value = "";
      if (file) importModel(file);
    });
    window.addEventListener("resize", () => { drawNetwork(); redrawAll(); });
    // A new fragment typed into the address bar is a new set-up: start again from it.
    window.addEventListener("hashchange", () => location.reload());
  }

  // ------------------------------------------------------------------ export and import

  async function download(what, filename) {
    if (!page.session) return;
    const response = await fetch(`/api/sessions/${page.session}/${what}`);
    if (!response.ok) {
      let message = `Export failed (${response.status}).`;
      try { message = (await response.json()).error; } catch (e) { /* keep the status */ }
      showNotices([message]);
      return;
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = filename;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function importModel(file) {
    if (file.size > MAX_IMPORT_BYTES) {
      showNotices([`${file.name} is too large: the Playground imports small .keras models ` +
                   `(at most ${MAX_IMPORT_BYTES / 1024} KiB).`]);
      return;
    }
    const response = await fetch(
      `/api/sessions/${page.session}/import?filename=${encodeURIComponent(file.name)}`,
      {method: "POST", body: file, headers: {"Content-Type": "application/octet-stream"}});
    let body = {};
    try { body = await response.json(); } catch (e) { body = {error: `Import failed (${response.status}).`}; }
    if (!response.ok) showNotices([body.error]);
  }

  // ------------------------------------------------------------------ the network drawing

  function svgElement(name, attributes, parent) {
    const element = document.createElementNS(SVG_NS, name);
    for (const key in attributes) element.setAttribute(key, attributes[key]);
    if (parent) parent.appendChild(element);
    return element;
  }

  /** Positions of the layers (the original's d3 rangePoints with padding 0.7). */
  function layerPositions(count, start, stop) {
    if (count < 1) return [];
    if (count === 1) return [(start + stop) / 2];
    const step = (stop - start) / (count - 1 + 0.7);
    return Array.from({length: count}, (_, i) => start + step * 0.35 + i * step);
  }

  function drawNetwork() {
    const svg = $("svg");
    const links = $("links"), nodes = $("nodes"), canvases = $("canvases"), controls = $("neuron-controls");
    links.textContent = "";
    nodes.textContent = "";
    canvases.textContent = "";
    controls.textContent = "";
    const width = Math.max(420, $("network").clientWidth - 10);
    const hidden = page.shape.slice(1, -1);
    const visible = page.visibleFeatures;
    const layout = {coords: {}, canvases: {}, links: [], biases: {}, width: width};
    const nodeY = i => i * NODE_STEP + RECT / 2;
    let maxY = visible.length * NODE_STEP;

    // Input features: every visible one, the unused ones faded.
    const inputX = RECT / 2 + 50;
    visible.forEach((key, i) => {
      const cy = nodeY(i);
      layout.coords["in:" + key] = {cx: inputX, cy: cy};
      const label = svgElement("text", {x: inputX - RECT / 2 - 10, y: cy + 4, "text-anchor": "end",
                                       class: "node-label"}, nodes);
      label.textContent = FEATURES[key].label;
      const active = page.features.includes(key);
      const holder = makeNodeCanvas(inputX, cy, "input " + (active ? "active" : "inactive"));
      holder.title = `${FEATURES[key].label}: click to ${active ? "remove" : "add"} this feature`;
      holder.dataset.feature = key;
      holder.addEventListener("click", () => setting(key, !active));
      holder.addEventListener("mouseenter", () => { page.hoverFeature = key; holder.classList.add("hovered"); redrawHeatmap(); });
      holder.addEventListener("mouseleave", () => { page.hoverFeature = null; holder.classList.remove("hovered"); redrawHeatmap(); });
      drawFeatureThumbnail(holder.firstChild, key);
    });

    // Hidden layers, with their +/- neuron buttons.
    const xs = layerPositions(hidden.length, FEATURE_WIDTH, width - RECT);
    let index = 0;
    hidden.forEach((count, layer) => {
      const cx = xs[layer] + RECT / 2;
      maxY = Math.max(maxY, count * NODE_STEP);
      addNeuronControls(xs[layer], layer, count);
      for (let i = 0; i < count; i++) {
        const cy = nodeY(i);
        const id = "n:" + index;
        layout.coords[id] = {cx: cx, cy: cy};
        const holder = makeNodeCanvas(cx, cy, "hidden");
        holder.dataset.node = String(index);
        const nodeIndex = index;
        holder.addEventListener("mouseenter", () => selectNode(nodeIndex, holder));
        holder.addEventListener("mouseleave", () => selectNode(null, holder));
        layout.canvases[index] = holder.firstChild;
        const bias = svgElement("rect", {x: cx - RECT / 2 - BIAS - 2, y: cy + RECT / 2 - BIAS + 3,
                                         width: BIAS, height: BIAS, class: "bias"}, nodes);
        bias.addEventListener("mouseenter", e => hoverValue("Bias", () => biasOf(nodeIndex), e));
        bias.addEventListener("mouseleave", () => hoverValue(null));
        layout.biases[index] = bias;
        index++;
      }
    });
    // The output neuron sits at the right edge, next to the big heatmap.
    layout.coords["n:" + index] = {cx: width + RECT / 2, cy: nodeY(0)};
    layout.outputIndex = index;

    // Links: from every active input / neuron of one layer to every neuron of the next.
    const layerIds = [page.features.filter(k => visible.includes(k)).map(k => "in:" + k)];
    let next = 0;
    for (const count of hidden.concat([1])) {
      layerIds.push(Array.from({length: count}, () => "n:" + next++));
    }
    let weightIndex = 0;
    layout.weightSlots = [];
    for (let l = 1; l < layerIds.length; l++) {
      const sources = layerIds[l - 1], dests = layerIds[l];
      const kernelStart = weightIndex;
      dests.forEach((dest, d) => {
        sources.forEach((source, s) => {
          const path = drawLink(layout.coords[source], layout.coords[dest], s, sources.length, links);
          // Kernel layout (inputs, units), row-major: weight of source s into dest d.
          const slot = kernelStart + s * dests.length + d;
          layout.links.push({path: path, slot: slot});
        });
      });
      weightIndex = kernelStart + sources.length * dests.length;
      layout.weightSlots.push({biasStart: weightIndex, count: dests.length});
      weightIndex += dests.length;
    }
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(maxY));
    page.layout = layout;
    if (page.weights) updateWeights(page.weights, stats.epoch);
  }

  function biasOf(nodeIndex) {
    if (!page.weights || !page.layout) return NaN;
    let index = nodeIndex;
    for (const slot of page.layout.weightSlots) {
      if (index < slot.count) return page.weights[slot.biasStart + index];
      index -= slot.count;
    }
    return NaN;
  }

  function makeNodeCanvas(cx, cy, kind) {
    const holder = document.createElement("div");
    holder.className = "node-canvas " + kind;
    holder.style.left = `${cx - RECT / 2}px`;
    holder.style.top = `${cy - RECT / 2}px`;
    const canvas = document.createElement("canvas");
    canvas.width = THUMB;
    canvas.height = THUMB;
    holder.appendChild(canvas);
    $("canvases").appendChild(holder);
    return holder;
  }

  function addNeuronControls(x, layer, count) {
    const div = document.createElement("div");
    div.className = "plus-minus-neurons ui-numNodes" + (layer + 1);
    div.style.left = `${x - 15}px`;
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const plus = document.createElement("button");
    plus.className = "icon-button small";
    plus.textContent = "+";
    plus.title = "Add a neuron";
    plus.addEventListener("click", () => changeNeurons(layer, +1));
    const minus = document.createElement("button");
    minus.className = "icon-button small";
    minus.textContent = "\u2212";
    minus.title = "Remove a neuron";
    minus.addEventListener("click", () => changeNeurons(layer, -1));
    buttons.appendChild(plus);
    buttons.appendChild(minus);
    div.appendChild(buttons);
    const text = document.createElement("div");
    text.textContent = count + (count === 1 ? " neuron" : " neurons");
    div.appendChild(text);
    $("neuron-controls").appendChild(div);
  }

  function changeNeurons(layer, delta) {
    const shape = page.state.networkShape.slice();
    const count = shape[layer] + delta;
    if (count < 1 || count > MAX_NEURONS) return;
    shape[layer] = count;
    setting("networkShape", shape);
  }

  function drawLink(source, dest, index, length, parent) {
    const sx = source.cx + RECT / 2 + 2, sy = source.cy;
    const tx = dest.cx - RECT / 2, ty = dest.cy + ((index - (length - 1) / 2) / length) * 12;
    const mx = (sx + tx) / 2;
    const d = `M${sx},${sy}C${mx},${sy} ${mx},${ty} ${tx},${ty}`;
    const path = svgElement("path", {d: d, class: "link", "marker-start": "url(#markerArrow)"}, parent);
    const hover = svgElement("path", {d: d, class: "link-hover"}, parent);
    const link = {path: path};
    hover.addEventListener("mouseenter", e => hoverValue("Weight", () => link.value, e));
    hover.addEventListener("mouseleave", () => hoverValue(null));
    path.link = link;
    return path;
  }

  function hoverValue(kind, read, event) {
    const card = $("hovercard");
    if (!kind) { card.hidden = true; return; }
    const value = read();
    card.querySelector(".type").textContent = kind;
    card.querySelector(".value").textContent = Number.isFinite(value) ? value.toPrecision(2) : "NaN";
    const box = $("network").getBoundingClientRect();
    card.style.left = `${event.clientX - box.left + 14}px`;
    card.style.top = `${event.clientY - box.top}px`;
    card.hidden = false;
  }

  function selectNode(index, holder) {
    page.hoverNode = index;
    for (const element of document.querySelectorAll(".node-canvas.hovered")) element.classList.remove("hovered");
    if (index !== null) holder.classList.add("hovered");
    send({type: "select", node: index});
  }

  function updateWeights(weights, epoch) {
    const layout = page.layout;
    if (!layout) return;
    for (const link of layout.links) {
      const w = weights[link.slot];
      link.path.link.value = w;
      const width = Number.isFinite(w) ? Math.min(10, 1 + 9 * Math.abs(w) / 5) : 1;
      link.path.style.strokeWidth = String(width);
      link.path.style.stroke = colorOf(w);
      link.path.style.strokeDashoffset = String(-epoch / 3);
    }
    for (const index in layout.biases) {
      layout.biases[index].style.fill = colorOf(biasOf(Number(index)));
    }
  }

  // ------------------------------------------------------------------ heatmaps

  function paint(canvas, values, size, discretize) {
    const context = canvas.getContext("2d");
    const image = context.createImageData(size, size);
    for (let i = 0, p = 0; i < size * size; i++) {
      let v = values[i];
      if (discretize) v = v >= 0 ? 1 : -1;
      const c = shadeOf(v);
      image.data[p++] = c[0];
      image.data[p++] = c[1];
      image.data[p++] = c[2];
      image.data[p++] = 160;
    }
    context.putImageData(image, 0, 0);
  }

  function featureGrid(key, size) {
    const values = new Float32Array(size * size);
    const f = FEATURES[key].f;
    for (let j = 0; j < size; j++) {
      const y = DOMAIN - 2 * DOMAIN * j / (size - 1);
      for (let i = 0; i < size; i++) {
        const x = -DOMAIN + 2 * DOMAIN * i / (size - 1);
        values[j * size + i] = f(x, y);
      }
    }
    return values;
  }

  function reduce(values, size, factor) {
    const out = new Float32Array((size / factor) * (size / factor));
    const small = size / factor;
    for (let j = 0; j < size; j++) {
      for (let i = 0; i < size; i++) {
        out[Math.floor(j / factor) * small + Math.floor(i / factor)] += values[j * size + i] / (factor * factor);
      }
    }
    return out;
  }

  function drawFeatureThumbnail(canvas, key) {
    paint(canvas, reduce(featureGrid(key, GRID), GRID, GRID / THUMB), THUMB, false);
  }

  function redrawHeatmap() {
    const discretize = page.state ? !!page.state.discretize : false;
    const canvas = $("heatmap-canvas");
    if (page.hoverFeature) {
      paint(canvas, featureGrid(page.hoverFeature, GRID), GRID, discretize);
    } else if (page.lastHeat) {
      paint(canvas, page.lastHeat, GRID, discretize);
    }
  }

  function redrawAll() {
    redrawHeatmap();
    drawPoints();
    if (page.weights) updateWeights(page.weights, stats.epoch);
  }

  function drawAxes() {
    const axes = $("heatmap-axes");
    axes.textContent = "";
    const scale = v => (v + DOMAIN) / (2 * DOMAIN) * HEATMAP_PX;
    const x = svgElement("g", {class: "axis", transform: `translate(0,${HEATMAP_PX})`}, axes);
    const y = svgElement("g", {class: "axis", transform: `translate(${HEATMAP_PX},0)`}, axes);
    svgElement("path", {d: `M0,6V0H${HEATMAP_PX}V6`}, x);
    svgElement("path", {d: `M6,0H0V${HEATMAP_PX}H6`}, y);
    for (let v = -DOMAIN; v <= DOMAIN; v++) {
      svgElement("line", {x1: scale(v), x2: scale(v), y1: 0, y2: 6}, x);
      const tx = svgElement("text", {x: scale(v), y: 17, "text-anchor": "middle"}, x);
      tx.textContent = String(v);
      svgElement("line", {x1: 0, x2: 6, y1: HEATMAP_PX - scale(v), y2: HEATMAP_PX - scale(v)}, y);
      const ty = svgElement("text", {x: 9, y: HEATMAP_PX - scale(v) + 3}, y);
      ty.textContent = String(v);
    }
  }

  function drawPoints() {
    const scale = v => (v + DOMAIN) / (2 * DOMAIN) * HEATMAP_PX;
    const groups = {train: $("train-points"), test: $("test-points")};
    const showTest = page.state ? !!page.state.showTestData : false;
    for (const which of ["train", "test"]) {
      const group = groups[which];
      group.textContent = "";
      if (which === "test" && !showTest) continue;
      for (const [x, y, label] of page.points[which]) {
        if (Math.abs(x) > DOMAIN || Math.abs(y) > DOMAIN) continue;
        svgElement("circle", {cx: scale(x), cy: HEATMAP_PX - scale(y), r: 3, fill: shadeCss(label)}, group);
      }
    }
  }

  function drawDatasetThumbnails() {
    if (!page.thumbnails) return;
    for (const canvas of document.querySelectorAll("canvas.data-thumbnail")) {
      const name = canvas.dataset.dataset || canvas.dataset.regdataset;
      if (canvas.dataset.drawn === name) continue;
      const context = canvas.getContext("2d");
      context.clearRect(0, 0, 100, 100);
      for (const [x, y, label] of page.thumbnails[name] || []) {
        context.fillStyle = shadeCss(label);
        context.fillRect(100 * (x + 6) / 12, 100 * (6 - y) / 12, 4, 4);
      }
      canvas.dataset.drawn = name;
    }
  }

  // ------------------------------------------------------------------ frames

  function formatEpoch(n) {
    return String(n).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function formatLoss(v) {
    return Number.isFinite(v) ? v.toFixed(3) : "NaN";
  }

  /** Read a frame as it arrives: keep its losses, acknowledge it, and keep it for the next paint. */
  function receiveFrame(buffer) {
    const head = new Int32Array(buffer, 0, 8);
    const seq = head[2];
    // Acknowledge at once: the server trains on while this page paints.
    send({type: "ack", seq: seq});
    if (head[1] !== page.netVersion) return;  // a network replaced since: nothing to draw
    const epoch = head[3], newLosses = head[5], weightCount = head[6];
    const floats = new Float32Array(buffer, 32);
    let offset = 2;
    for (let k = 0; k < newLosses; k++, offset += 2) {
      page.lossSeries.push([floats[offset], floats[offset + 1]]);
    }
    if (page.pendingFrame) stats.framesSkipped++;
    page.pendingFrame = {
      seq: seq, epoch: epoch, playing: head[4], selected: head[7], lossTrain: floats[0], lossTest: floats[1],
      weights: floats.slice(offset, offset + weightCount),
      heat: floats.slice(offset + weightCount, offset + weightCount + GRID * GRID),
      thumbs: floats.slice(offset + weightCount + GRID * GRID),
    };
    stats.epoch = epoch;
    stats.lossTrain = floats[0];
    stats.lossTest = floats[1];
    stats.lastSeq = seq;
    scheduleDraw();
  }

  function drawFrame(frame) {
    const began = performance.now();
    page.weights = frame.weights;
    page.lastHeat = frame.heat;
    page.shownNode = frame.selected;
    stats.shownNode = frame.selected;
    stats.framePlaying = frame.playing;
    redrawHeatmap();
    const discretize = !!page.state.discretize;
    const layout = page.layout;
    if (layout) {
      for (const index in layout.canvases) {
        const start = Number(index) * THUMB * THUMB;
        paint(layout.canvases[index], frame.thumbs.subarray(start, start + THUMB * THUMB), THUMB, discretize);
      }
    }
    updateWeights(frame.weights, frame.epoch);
    $("loss-train").textContent = formatLoss(frame.lossTrain);
    $("loss-test").textContent = formatLoss(frame.lossTest);
    $("iter-number").textContent = formatEpoch(frame.epoch);
    drawLineChart();
    stats.framesDrawn++;
    stats.drawnEpoch = frame.epoch;
    stats.drawMs += performance.now() - began;
  }

  function drawLineChart() {
    const series = page.lossSeries;
    const width = 300, height = 60;
    let low = Infinity, high = -Infinity;
    for (const [a, b] of series) {
      for (const v of [a, b]) {
        if (Number.isFinite(v)) { low = Math.min(low, v); high = Math.max(high, v); }
      }
    }
    if (!series.length || !Number.isFinite(low)) {
      $("line-train").setAttribute("points", "");
      $("line-test").setAttribute("points", "");
      return;
    }
    if (high === low) high = low + 1e-6;
    // Keep the polylines short: at most one vertex per pixel column.
    const stride = Math.max(1, Math.ceil(series.length / width));
    const toPoints = column => {
      const out = [];
      for (let i = 0; i < series.length; i += stride) {
        const v = series[i][column];
        if (!Number.isFinite(v)) continue;
        const x = series.length > 1 ? (i / (series.length - 1)) * width : 0;
        const y = height - 2 - ((v - low) / (high - low)) * (height - 4);
        out.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      }
      return out.join(" ");
    };
    $("line-train").setAttribute("points", toPoints(0));
    $("line-test").setAttribute("points", toPoints(1));
  }

  // ------------------------------------------------------------------ start

  function start() {
    drawAxes();
    bindControls();
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
