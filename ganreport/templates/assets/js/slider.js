/* The site's figures: plain JavaScript, no libraries. Without JavaScript the CSS shows a
 * static strip instead of each slider, and every grid is a plain link to its full image.
 *
 * Sliders: <figure class="progression" data-run data-frames='[{"epoch","src","alt","step"}]'>
 *   has an <input class="epoch-slider"> indexing into data-frames, an <output class="epoch-label">,
 *   an <img class="epoch-image"> inside <a class="enlarge">, a <button class="play"> (one pass
 *   through the epochs; under prefers-reduced-motion it steps one epoch a press and a running
 *   pass stops) and, when quality found a best epoch, a <button class="best-stop" data-index>.
 * Lightbox: any <a class="enlarge" data-grid-columns data-grid-padding> opens its grid full size
 *   in a <dialog>; arrow keys pick a sample ("row 4, column 6") by that geometry, Page Up /
 *   Page Down (or the buttons) go to the neighbouring epoch (a slider's frames, or the other
 *   grids of the same [data-gallery]); Escape closes.
 * Linked plots: a click, or Enter, on a <figure class="plot" data-axes data-x data-run> moves
 *   that run's slider to the grid of the epoch under the pointer and marks that step on every
 *   plot of the page; ?step=N or ?epoch=N in the URL does the same on load. */
(function () {
  "use strict";

  var sliders = {}; // run key -> slider API
  var reduceMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  var PLAY_MS = 600;

  function parse(text) {
    try { return JSON.parse(text || "null"); } catch (error) { return null; }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------------- sliders

  function setUpSlider(figure) {
    var frames = parse(figure.getAttribute("data-frames")) || [];
    var slider = figure.querySelector(".epoch-slider");
    var label = figure.querySelector(".epoch-label");
    var image = figure.querySelector(".epoch-image");
    var link = figure.querySelector("a.enlarge");
    var play = figure.querySelector(".play");
    var best = figure.querySelector(".best-stop");
    if (!slider || !label || !image || !frames.length) return;
    var timer = null;

    function show(index) {
      index = Math.max(0, Math.min(frames.length - 1, index));
      var frame = frames[index];
      var text = frame.label || "Epoch " + frame.epoch;  // "Epoch 5 (8 px, α 0.5)" for progan
      if (String(slider.value) !== String(index)) slider.value = index;
      image.src = frame.src;
      image.alt = frame.alt;
      if (link) { link.href = frame.src; link.setAttribute("data-epoch", frame.epoch); }
      label.textContent = text;
      slider.setAttribute("aria-valuetext", text);
      return frame;
    }

    // A reader's move (slider, Play, Best epoch, the lightbox) also marks the grid's step on
    // every plot; choose() shows a frame itself, having marked the point that was clicked.
    function moveTo(index) {
      var frame = show(index);
      markAll(typeof frame.step === "number" ? frame.step : null, frame.epoch);
      return frame;
    }

    var preloaded = false;
    function preload() {
      if (preloaded) return;
      preloaded = true;
      frames.forEach(function (frame) { new Image().src = frame.src; });
    }

    function stop() {
      if (timer !== null) window.clearInterval(timer);
      timer = null;
      if (play) play.setAttribute("aria-pressed", "false");
      name();
      figure.classList.remove("playing");
    }

    function start() {
      preload();
      var index = Number(slider.value);
      if (reduceMotion && reduceMotion.matches) { // no motion: one epoch a press
        moveTo(index >= frames.length - 1 ? 0 : index + 1);
        return;
      }
      if (index >= frames.length - 1) moveTo(0);
      play.setAttribute("aria-pressed", "true");
      play.textContent = "Pause";
      figure.classList.add("playing");
      timer = window.setInterval(function () {
        var next = Number(slider.value) + 1;
        if (next >= frames.length) { stop(); return; }
        moveTo(next);
      }, PLAY_MS);
    }

    slider.addEventListener("input", function () { stop(); moveTo(Number(slider.value)); });
    slider.addEventListener("change", function () { moveTo(Number(slider.value)); });
    slider.addEventListener("focus", preload);
    slider.addEventListener("pointerenter", preload);
    slider.setAttribute("aria-valuetext", label.textContent);
    // Under reduced motion the control says what it does: one epoch a press.
    function name() {
      if (play && timer === null) play.textContent = reduceMotion && reduceMotion.matches ? "Next epoch" : "Play";
    }
    if (play) {
      play.hidden = false;
      name();
      play.addEventListener("click", function () { if (timer !== null) stop(); else start(); });
      window.addEventListener("load", name);
    }
    if (reduceMotion) {
      var onChange = function () {
        if (reduceMotion.matches) stop();
        name();
      };
      if (reduceMotion.addEventListener) reduceMotion.addEventListener("change", onChange);
      else if (reduceMotion.addListener) reduceMotion.addListener(onChange);
    }
    if (best) {
      best.hidden = false;
      best.addEventListener("click", function () { stop(); moveTo(Number(best.getAttribute("data-index"))); });
    }
    sliders[figure.getAttribute("data-run")] = {
      figure: figure, frames: frames, show: show, moveTo: moveTo, stop: stop,
      index: function () { return Number(slider.value); },
    };
  }

  // ------------------------------------------------------------------------- lightbox

  var box = null;

  function buildBox() {
    var dialog = el("dialog", {"class": "lightbox", "aria-labelledby": "lightbox-title"});
    var bar = el("div", {"class": "lightbox-bar"});
    var title = el("h2", {id: "lightbox-title"});
    var prev = el("button", {type: "button", "class": "lightbox-prev"}, "← Earlier");
    var next = el("button", {type: "button", "class": "lightbox-next"}, "Later →");
    var close = el("button", {type: "button", "class": "lightbox-close"}, "Close");
    bar.appendChild(title); bar.appendChild(prev); bar.appendChild(next); bar.appendChild(close);
    var stage = el("div", {"class": "lightbox-stage", tabindex: "0", role: "group",
      "aria-describedby": "lightbox-sample lightbox-help"});
    var img = el("img", {"class": "pixelated", alt: ""});
    var pick = el("div", {"class": "lightbox-pick", "aria-hidden": "true"});
    stage.appendChild(img); stage.appendChild(pick);
    var sample = el("p", {"class": "lightbox-sample", id: "lightbox-sample", "aria-live": "polite"});
    var help = el("p", {"class": "lightbox-help", id: "lightbox-help"},
      "Arrow keys or a click pick a sample; Page Up and Page Down go to the neighbouring epoch; Escape closes.");
    dialog.appendChild(bar); dialog.appendChild(stage); dialog.appendChild(sample); dialog.appendChild(help);
    document.body.appendChild(dialog);
    box = {dialog: dialog, title: title, prev: prev, next: next, stage: stage, img: img,
           pick: pick, sample: sample, items: [], index: 0, row: 0, col: 0, opener: null, onMove: null};
    close.addEventListener("click", function () { dialog.close(); });
    prev.addEventListener("click", function () { go(-1); });
    next.addEventListener("click", function () { go(1); });
    dialog.addEventListener("close", function () {
      if (box.opener && box.opener.focus) box.opener.focus();
    });
    dialog.addEventListener("click", function (event) { if (event.target === dialog) dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "PageUp" || event.key === "[") { go(-1); event.preventDefault(); }
      else if (event.key === "PageDown" || event.key === "]") { go(1); event.preventDefault(); }
    });
    stage.addEventListener("keydown", function (event) {
      var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
      var move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      var size = gridSize();
      select(Math.max(0, Math.min(size.rows - 1, box.row + move[0])),
             Math.max(0, Math.min(size.cols - 1, box.col + move[1])));
    });
    img.addEventListener("click", function (event) {
      var rect = img.getBoundingClientRect(), size = gridSize();
      select(Math.min(size.rows - 1, Math.floor((event.clientY - rect.top) / rect.height * size.rows)),
             Math.min(size.cols - 1, Math.floor((event.clientX - rect.left) / rect.width * size.cols)));
      stage.focus();
    });
    img.addEventListener("load", function () { select(box.row, box.col); });
    return box;
  }

  // A grid's geometry is its run's (summary.json's `grid`), on its link as data-grid-columns
  // and data-grid-padding; 8 and 2 when absent, as every older run was drawn.
  function geometry(anchor) {
    var cols = parseFloat(anchor.getAttribute("data-grid-columns"));
    var pad = parseFloat(anchor.getAttribute("data-grid-padding"));
    return {cols: cols > 0 ? cols : 8, pad: pad >= 0 ? pad : 2};
  }
  function gridSize() {
    var g = box.items[box.index].grid, cols = g.cols, pad = g.pad;
    var width = box.img.naturalWidth || cols, height = box.img.naturalHeight || cols;
    var side = (width - pad) / cols - pad;
    var rows = side > 0 ? Math.max(1, Math.round((height - pad) / (side + pad))) : cols;
    return {cols: cols, rows: rows, side: side, pad: pad, width: width, height: height};
  }

  function select(row, col) {
    box.row = row; box.col = col;
    var size = gridSize(), pad = size.pad;
    var unit = (size.side + pad) / size.width * 100, unitY = (size.side + pad) / size.height * 100;
    box.pick.style.left = (pad / size.width * 100 + col * unit) + "%";
    box.pick.style.top = (pad / size.height * 100 + row * unitY) + "%";
    box.pick.style.width = (size.side / size.width * 100) + "%";
    box.pick.style.height = (size.side / size.height * 100) + "%";
    box.sample.textContent = "Row " + (row + 1) + ", column " + (col + 1) + " of " + box.items[box.index].label + ".";
  }

  function showItem(index) {
    box.index = index;
    var item = box.items[index];
    box.img.src = item.src;
    box.img.alt = item.alt;
    box.title.textContent = item.label;
    box.prev.disabled = index <= 0;
    box.next.disabled = index >= box.items.length - 1;
    box.prev.hidden = box.next.hidden = box.items.length < 2;
    select(box.row, box.col);
    if (box.onMove) box.onMove(index);
  }

  function go(delta) {
    var index = box.index + delta;
    if (index >= 0 && index < box.items.length) showItem(index);
  }

  function itemOf(anchor) {
    var img = anchor.querySelector("img");
    return {src: anchor.getAttribute("href"), alt: img ? img.alt : "", grid: geometry(anchor),
            label: anchor.getAttribute("data-label") || (img ? img.alt : "")};
  }

  function openBox(anchor) {
    if (!box) buildBox();
    box.opener = anchor;
    box.onMove = null;
    var progression = anchor.closest("figure.progression");
    var gallery = anchor.closest("[data-gallery]");
    var index = 0;
    if (progression && sliders[progression.getAttribute("data-run")]) {
      var api = sliders[progression.getAttribute("data-run")];
      var run = progression.getAttribute("data-run"), grid = geometry(anchor);
      box.items = api.frames.map(function (frame) {
        return {src: frame.src, alt: frame.alt, grid: grid, label: run + ", epoch " + frame.epoch};
      });
      index = api.index();
      box.onMove = function (i) { api.stop(); api.moveTo(i); };
    } else if (gallery) {
      var anchors = Array.prototype.slice.call(gallery.querySelectorAll("a.enlarge"));
      box.items = anchors.map(itemOf);
      index = Math.max(0, anchors.indexOf(anchor));
    } else {
      box.items = [itemOf(anchor)];
    }
    box.row = 0; box.col = 0;
    showItem(index);
    box.dialog.showModal();
    box.stage.focus();
  }

  // ------------------------------------------------------------------------- linked plots

  function axesOf(figure) {
    var axes = parse(figure.getAttribute("data-axes")) || {};
    var img = figure.querySelector("img");
    var phone = img && /-phone-[0-9a-f]+\.svg/.test(img.currentSrc || "");
    return (phone ? axes.phone : axes.wide) || [];
  }

  function valueAt(figure, fraction) {
    var axes = axesOf(figure);
    if (!axes.length) return null;
    var a = axes[0];
    if (fraction < a.left || fraction > a.right) return null;
    return a.x0 + (fraction - a.left) / (a.right - a.left) * (a.x1 - a.x0);
  }

  function frameFor(api, x, unit) {
    // The first grid made at or after that step (or epoch): what G looked like then.
    var key = unit === "epoch" ? "epoch" : "step";
    for (var i = 0; i < api.frames.length; i++) {
      var value = api.frames[i][key];
      if (typeof value === "number" && value >= x) return i;
    }
    return api.frames.length - 1;
  }

  function markAll(step, epoch) {
    var plots = document.querySelectorAll("figure.plot[data-axes]");
    for (var i = 0; i < plots.length; i++) {
      var figure = plots[i], unit = figure.getAttribute("data-x");
      var x = unit === "epoch" ? epoch : step;
      var view = figure.querySelector(".plot-view");
      var old = view.querySelector(".plot-mark");
      if (old) old.remove();
      figure.removeAttribute("data-marked");
      var axes = axesOf(figure);
      if (x === null || x === undefined || !axes.length) continue;
      var a = axes[0], last = axes[axes.length - 1];
      if (x < Math.min(a.x0, a.x1) || x > Math.max(a.x0, a.x1)) continue;
      var left = a.left + (x - a.x0) / (a.x1 - a.x0) * (a.right - a.left);
      var mark = el("div", {"class": "plot-mark", "aria-hidden": "true"});
      mark.style.left = (left * 100) + "%";
      mark.style.top = (a.top * 100) + "%";
      mark.style.height = ((last.bottom - a.top) * 100) + "%";
      view.appendChild(mark);
      figure.setAttribute("data-marked", unit === "epoch" ? "epoch " + epoch : "step " + step);
    }
  }

  // Move `run`'s slider to the grid of step (or epoch) x, and mark it on every plot.
  function choose(run, x, unit) {
    var api = sliders[run] || (Object.keys(sliders).length === 1 ? sliders[Object.keys(sliders)[0]] : null);
    if (unit === "epoch") x = Math.round(x); // quality is measured per epoch: the nearest one
    var step = unit === "step" ? Math.round(x) : null, epoch = unit === "epoch" ? x : null;
    var frame = null;
    if (api) {
      api.stop();
      frame = api.show(frameFor(api, x, unit));
      if (epoch === null) epoch = frame.epoch;
      if (step === null && typeof frame.step === "number") step = frame.step;
    }
    markAll(step, epoch);
    return frame;
  }

  function setUpPlot(figure) {
    var view = figure.querySelector(".plot-view");
    var img = view && view.querySelector("img");
    if (!img || !axesOf(figure).length) return;
    var run = figure.getAttribute("data-run") || "";
    var unit = figure.getAttribute("data-x") || "step";
    var status = el("p", {"class": "plot-status", "aria-live": "polite"});
    figure.insertBefore(status, figure.querySelector("figcaption"));
    var cursor = 0.5; // fraction of the axis, for the keyboard
    view.setAttribute("tabindex", "0");
    view.setAttribute("role", "group");
    view.setAttribute("aria-label", (img.alt || "Plot") + ". Left and Right arrows (Home, End) pick a "
      + unit + "; Enter shows " + (sliders[run] ? "its grid and " : "") + "marks it on every plot.");
    function pickAt(fraction) {
      var x = valueAt(figure, fraction);
      if (x === null) return;
      var frame = choose(run, x, unit);
      status.textContent = (unit === "step" ? "Step " + Math.round(x) : "Epoch " + Math.round(x))
        + " marked" + (frame ? "; " + (run || "the") + " slider shows epoch " + frame.epoch + "." : ".");
    }
    img.addEventListener("click", function (event) {
      var rect = img.getBoundingClientRect();
      pickAt((event.clientX - rect.left) / rect.width);
    });
    view.addEventListener("keydown", function (event) {
      var a = axesOf(figure)[0];
      if (!a) return;
      var moves = {ArrowLeft: -0.05, ArrowRight: 0.05, Home: -1, End: 1};
      if (event.key in moves) {
        cursor = Math.max(0, Math.min(1, cursor + moves[event.key]));
        var x = a.x0 + cursor * (a.x1 - a.x0);
        markAll(unit === "step" ? Math.round(x) : null, unit === "epoch" ? Math.round(x) : null);
        status.textContent = (unit === "step" ? "Step " : "Epoch ") + Math.round(x) + ": Enter to choose it.";
        event.preventDefault();
      } else if (event.key === "Enter" || event.key === " ") {
        pickAt(a.left + cursor * (a.right - a.left));
        event.preventDefault();
      }
    });
  }

  function fromAddress() {
    var params = new URLSearchParams(window.location.search);
    var run = Object.keys(sliders)[0] || "";
    if (params.has("step")) choose(run, Number(params.get("step")), "step");
    else if (params.has("epoch")) choose(run, Number(params.get("epoch")), "epoch");
  }

  function init() {
    var figures = document.querySelectorAll("figure.progression");
    for (var i = 0; i < figures.length; i++) setUpSlider(figures[i]);
    var plots = document.querySelectorAll("figure.plot[data-axes]");
    for (var j = 0; j < plots.length; j++) setUpPlot(plots[j]);
    if (typeof HTMLDialogElement === "function") {
      document.addEventListener("click", function (event) {
        var anchor = event.target.closest && event.target.closest("a.enlarge");
        if (!anchor || event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
        event.preventDefault();
        openBox(anchor);
      });
    }
    var images = document.querySelectorAll("figure.plot img");
    for (var k = 0; k < images.length; k++) images[k].addEventListener("load", fromAddress, {once: true});
    fromAddress();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
