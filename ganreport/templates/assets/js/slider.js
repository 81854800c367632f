/* Epoch sliders of progression figures: plain JavaScript, no libraries.
 * Each <figure class="progression" data-frames='[{"epoch":0,"src":"...","alt":"..."}]'>
 * has an <input class="epoch-slider"> indexing into data-frames, an <output class="epoch-label">
 * and an <img class="epoch-image">. Without JavaScript the CSS shows a static strip instead. */
(function () {
  "use strict";

  function setUp(figure) {
    var frames;
    try {
      frames = JSON.parse(figure.getAttribute("data-frames") || "[]");
    } catch (error) {
      return;
    }
    var slider = figure.querySelector(".epoch-slider");
    var label = figure.querySelector(".epoch-label");
    var image = figure.querySelector(".epoch-image");
    if (!slider || !label || !image || !frames.length) return;

    function show(index) {
      var frame = frames[Math.max(0, Math.min(frames.length - 1, index))];
      if (!frame) return;
      var text = frame.label || "Epoch " + frame.epoch;  // "Epoch 5 (8 px, α 0.5)" for progan
      image.src = frame.src;
      image.alt = frame.alt || (figure.getAttribute("data-version") + " samples at epoch " + frame.epoch + ", fixed noise");
      label.textContent = text;
      slider.setAttribute("aria-valuetext", text);
    }

    var preloaded = false;
    function preload() {
      if (preloaded) return;
      preloaded = true;
      frames.forEach(function (frame) { new Image().src = frame.src; });
    }

    slider.addEventListener("input", function () { show(Number(slider.value)); });
    slider.addEventListener("change", function () { show(Number(slider.value)); });
    slider.addEventListener("focus", preload);
    slider.addEventListener("pointerenter", preload);
    slider.setAttribute("aria-valuetext", label.textContent);
  }

  function init() {
    var figures = document.querySelectorAll("figure.progression");
    for (var i = 0; i < figures.length; i++) setUp(figures[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
