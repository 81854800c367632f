"""What a page with math tells MathJax: which components to load, and how to typeset.

Why not MathJax's combined ``tex-chtml.js`` (1.16 MB): a third of it is the context menu,
which a reader seldom opens, and it typesets every formula before showing any. Instead a
page loads ``startup.js`` with the components it needs (TeX input with the same packages
as ``tex-chtml.js``, CHTML output, assistive MathML for screen readers), preloaded in
parallel from ``<head>``; typesets the formulas on or near the screen first and shows them,
then the rest when the browser is idle; and loads the menu (and with it the explorer) only
when a reader right-clicks a formula. Measured side by side (bench/reader-mathjax.json,
docs/site-build.md): a third fewer MathJax bytes, and the first formulas shown in 0.5-0.9x
the time.

The configurations are inline ``<script>`` constants, allowed by hash in the site's CSP.
"""

from __future__ import annotations

MATHJAX_ENTRY = "startup.js"
"""The one script tag a page with math carries, relative to MathJax's es5/ folder."""

_COMPONENTS = ("input/tex", "output/chtml", "a11y/assistive-mml")  # the loader's `load`

MATHJAX_PRELOAD = (
    "core.js", *(f"{name}.js" for name in _COMPONENTS), "output/chtml/fonts/tex.js",
)
"""What ``startup.js`` goes on to load (the components, the core they need, CHTML's font
data): named in ``<link rel=preload>`` so the browser fetches them alongside
``startup.js`` instead of one round trip later."""

MATHJAX_ON_DEMAND = ("ui/menu.js",)
"""Fetched when a reader asks for it (a right-click on a formula), never on page load."""

_LOADER = f"  loader: {{load: [{', '.join(repr(name) for name in _COMPONENTS)}]}},\n"

# Installs a capture-phase `contextmenu` listener: the first right-click on a formula loads
# MathJax's menu, moves the page's math to a menu-aware document (as the menu itself does
# when it loads an accessibility component), and reopens the click as the menu. Formulas
# stay out of the tab order (inTabOrder false) until a reader turns that on in the menu.
_MENU_ON_DEMAND = r"""const ganreportMenuOnDemand = () => {
  const open = event => {
    const math = event.target.closest && event.target.closest('mjx-container');
    if (!math) return;
    event.preventDefault();
    document.removeEventListener('contextmenu', open, true);
    const at = {clientX: event.clientX, clientY: event.clientY, bubbles: true, cancelable: true};
    MathJax.loader.load('ui/menu').then(() => {
      const s = MathJax.startup, handlers = MathJax._.mathjax.mathjax.handlers, old = s.document;
      MathJax.config.options.menuOptions = {settings: {inTabOrder: false}};
      handlers.unregister(s.handler);
      s.handler = s.getHandler();
      handlers.register(s.handler);
      const doc = s.document = s.getDocument(), Item = doc.options.MathItem;
      Array.from(old.math).forEach(item => doc.math.push(Object.assign(new Item(), item)));
      doc.processed = old.processed;
      doc.outputJax.reset();
      doc.rerender(MathJax._.core.MathItem.STATE.TYPESET);
      const under = document.elementFromPoint(at.clientX, at.clientY);
      const again = under && under.closest('mjx-container');
      if (again) again.dispatchEvent(new MouseEvent('contextmenu', at));
    }).catch(err => console.warn('MathJax menu not loaded:', err));
  };
  document.addEventListener('contextmenu', open, true);
};
"""

MATHJAX_CONFIG_JS = _MENU_ON_DEMAND + r"""window.MathJax = {
""" + _LOADER + r"""  tex: {
    inlineMath: [['\\(', '\\)']],
    displayMath: [['\\[', '\\]']],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: '.*|',
    processHtmlClass: 'arithmatex'
  },
  startup: {
    typeset: false,
    pageReady: () => {
      const boxes = [...document.querySelectorAll('.arithmatex')];
      const mark = box => {
        const wide = box.scrollWidth > box.clientWidth + 1;
        if (wide === box.classList.contains('overflows')) return;
        box.classList.toggle('overflows', wide);
        if (wide) {
          box.tabIndex = 0;
          box.setAttribute('role', 'region');
          box.setAttribute('aria-label', 'Equation, scrolls sideways');
        } else {
          ['tabindex', 'role', 'aria-label'].forEach(name => box.removeAttribute(name));
        }
      };
      const displays = boxes.filter(box => box.tagName === 'DIV');
      if (window.ResizeObserver) {
        const watch = new ResizeObserver(seen => seen.forEach(s => mark(s.target)));
        displays.forEach(box => watch.observe(box));
      }
      ganreportMenuOnDemand();
      const first = boxes.filter(box => box.getBoundingClientRect().top < 1.5 * innerHeight);
      const idle = () => new Promise(done => (window.requestIdleCallback || setTimeout)(done));
      return MathJax.startup.defaultPageReady()
        .then(() => MathJax.typesetPromise(first))
        .finally(() => document.documentElement.classList.remove('math-pending'))
        .then(idle)
        .then(() => MathJax.typesetPromise(boxes.filter(box => !first.includes(box))))
        .then(() => displays.forEach(mark));
    }
  }
};
document.documentElement.classList.add('math-pending');
setTimeout(() => document.documentElement.classList.remove('math-pending'), 2500);"""
"""Put in a ``<script>`` before the site's own ``startup.js``: MathJax then typesets only the
``arithmatex`` elements :mod:`ganreport.markdown_render` writes, nothing else on the page;
those on or near the screen first, the rest when the browser is idle (``startup.promise``
resolves when every formula is typeset). Formulas are not tab stops; a display equation
wider than its box becomes a focusable, labelled scroll region with a visible cue, and
stops being one when the window grows; raw TeX stays hidden until the first formulas are
typeset (at most 2.5 s, so a MathJax failure still shows the TeX)."""

PAGE_MATHJAX_CONFIG_JS = _MENU_ON_DEMAND + r"""window.MathJax = {
""" + _LOADER + r"""  tex: {
    inlineMath: [['\\(', '\\)']],
    displayMath: [['$$', '$$'], ['\\[', '\\]']],
    processEscapes: true,
    processEnvironments: true
  },
  startup: {
    elements: ['.arithmatex-page'],
    pageReady: () => { ganreportMenuOnDemand(); return MathJax.startup.defaultPageReady(); }
  },
  options: {
    ignoreHtmlClass: 'mathjax_ignore|tex2jax_ignore',
    processHtmlClass: 'arithmatex|mathjax_process|tex2jax_process'
  }
};"""
"""For a hand-written ``.html`` page whose own MathJax script was removed: MathJax looks for
the delimiters such pages use (``$$``, ``\\(``, ``\\[``), but only inside the page body's
``.arithmatex-page`` wrapper, so the site's header and footer are never typeset."""
