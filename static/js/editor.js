/* Lecko editor: turns <textarea data-editor="visual"> inside form.editor-form into a
   visual editor (Squire, static/vendor/squire/) with a toolbar, and saves drafts while
   the author writes. Without JavaScript, or if Squire is missing, the textarea stays.

   The CSP allows no inline style: nothing here sets a style attribute; the look lives in
   static/css/admin.css. What the editor produces stays within the article allowlist of
   lecko/html.py (the server sanitizes again on save). */
(function () {
  "use strict";

  var STRINGS = {
    fr: {
      toolbar: "Mise en forme du texte",
      paragraph: "Paragraphe",
      h2: "Titre de section (niveau 2)",
      h3: "Sous-titre (niveau 3)",
      h4: "Petit intertitre (niveau 4)",
      bold: "Gras",
      italic: "Italique",
      link: "Lien",
      ul: "Liste à puces",
      ol: "Liste numérotée",
      quote: "Citation",
      code: "Code",
      image: "Image de la médiathèque",
      undo: "Annuler",
      redo: "Rétablir",
      html: "Modifier le HTML",
      editorLabel: "Texte de l’article",
      placeholder: "Écrivez votre texte ici…",
      linkTitle: "Lien",
      linkUrl: "Adresse du lien",
      linkHelp: "Par exemple https://exemple.fr/page, /2024/05/mon-article/ ou mailto:nom@exemple.fr",
      linkBad: "Cette adresse n’est pas acceptée : elle doit commencer par https://, http://, mailto: ou /.",
      linkEmpty: "Indiquez une adresse.",
      apply: "Appliquer",
      removeLink: "Retirer le lien",
      cancel: "Annuler",
      imageTitle: "Insérer une image de la médiathèque",
      imageLoading: "Chargement des images…",
      imageEmpty: "La médiathèque ne contient pas encore d’image. Ajoutez-en depuis le menu Médias.",
      imageFailed: "Impossible de charger la médiathèque. Réessayez dans un instant.",
      imageAlt: "Texte alternatif",
      imageAltHelp: "Décrit l’image pour qui ne la voit pas. Laissez vide si elle est purement décorative.",
      imageChoose: "Choisissez une image.",
      insert: "Insérer",
      saving: "Enregistrement du brouillon…",
      savedAt: "Brouillon enregistré à {time}",
      unsaved: "Modifications non enregistrées",
      failed: "Le brouillon n’a pas pu être enregistré (pas de réponse du serveur). Votre texte est toujours dans la page ; nouvel essai dans un instant.",
      failedStatus: "Le brouillon n’a pas pu être enregistré (erreur {status}). Votre texte est toujours dans la page ; ne la fermez pas.",
      expired: "Votre session a pris fin : le brouillon n’a pas été enregistré. Votre texte est toujours dans la page. En cliquant sur « Enregistrer », on vous demandera de vous reconnecter, sans rien perdre.",
      forbidden: "Vous n’avez pas le droit d’enregistrer ce texte. Votre texte est toujours dans la page.",
      stale: "Vous avez enregistré cet article depuis l’ouverture de cette page : le brouillon automatique s’arrête ici. Votre texte est toujours dans la page ; « Enregistrer » le garde dans les révisions pour que vous compariez."
    },
    en: {
      toolbar: "Text formatting",
      paragraph: "Paragraph",
      h2: "Section heading (level 2)",
      h3: "Subheading (level 3)",
      h4: "Minor heading (level 4)",
      bold: "Bold",
      italic: "Italic",
      link: "Link",
      ul: "Bulleted list",
      ol: "Numbered list",
      quote: "Quote",
      code: "Code",
      image: "Image from the media library",
      undo: "Undo",
      redo: "Redo",
      html: "Edit the HTML",
      editorLabel: "Article text",
      placeholder: "Write your text here…",
      linkTitle: "Link",
      linkUrl: "Link address",
      linkHelp: "For example https://example.com/page, /2024/05/my-article/ or mailto:name@example.com",
      linkBad: "This address is not accepted: it must start with https://, http://, mailto: or /.",
      linkEmpty: "Give an address.",
      apply: "Apply",
      removeLink: "Remove the link",
      cancel: "Cancel",
      imageTitle: "Insert an image from the media library",
      imageLoading: "Loading the images…",
      imageEmpty: "The media library holds no image yet. Add some from the Media menu.",
      imageFailed: "The media library could not be loaded. Try again in a moment.",
      imageAlt: "Alternative text",
      imageAltHelp: "Describes the image for people who cannot see it. Leave empty if it is purely decorative.",
      imageChoose: "Choose an image.",
      insert: "Insert",
      saving: "Saving the draft…",
      savedAt: "Draft saved at {time}",
      unsaved: "Unsaved changes",
      failed: "The draft could not be saved (no answer from the server). Your text is still in the page; trying again shortly.",
      failedStatus: "The draft could not be saved (error {status}). Your text is still in the page; do not close it.",
      expired: "Your session has ended: the draft was not saved. Your text is still in the page. Clicking “Save” will ask you to sign in again, and nothing will be lost.",
      forbidden: "You are not allowed to save this text. Your text is still in the page.",
      stale: "You saved this article since this page was opened: automatic drafts stop here. Your text is still in the page; “Save” keeps it in the revisions for you to compare."
    }
  };
  var LANG = (document.documentElement.lang || "fr").slice(0, 2).toLowerCase();
  var T = STRINGS[LANG] || STRINGS.fr;
  var IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  var MOD = IS_MAC ? "⌘" : "Ctrl+";
  var AUTOSAVE_DELAY = 10000;
  var RETRY_DELAY = 30000;
  var SVG_NS = "http://www.w3.org/2000/svg";

  /* ---- What the editor may hold: the allowlist of lecko/html.py ---------------------- */

  var ATTRIBUTES = {
    A: ["href", "title", "rel", "target"],
    IMG: ["src", "alt", "title", "width", "height", "srcset", "sizes", "loading"],
    ABBR: ["title"], TH: ["scope", "colspan", "rowspan"], TD: ["colspan", "rowspan"],
    OL: ["start", "reversed"], BLOCKQUOTE: ["cite"], Q: ["cite"], CODE: ["class"]
  };
  var ALLOWED = new Set(("P BR H2 H3 H4 H5 H6 STRONG B EM I U S MARK SMALL SUB SUP A UL OL LI " +
    "BLOCKQUOTE CITE Q CODE PRE KBD IMG FIGURE FIGCAPTION TABLE THEAD TBODY TFOOT TR TH TD " +
    "CAPTION HR ABBR DL DT DD DEL INS VAR ADDRESS").split(" "));
  var RENAMED = { H1: "H2", TT: "CODE", STRIKE: "S", ACRONYM: "ABBR" };
  // lecko/html_presentation.py: WordPress's alignment, width and block style classes are
  // kept; alignment styles and align attributes become them; <center> and <big> too.
  var KEPT_CLASSES = new Set(("alignleft alignright aligncenter alignnone alignwide alignfull " +
    "has-text-align-left has-text-align-center has-text-align-right has-text-align-justify " +
    "has-small-font-size has-medium-font-size has-large-font-size has-x-large-font-size " +
    "has-drop-cap wp-block-buttons wp-block-button wp-block-button__link wp-block-cover " +
    "wp-block-pullquote is-style-outline is-style-squared is-style-large is-style-solid-color " +
    "is-style-wide is-style-dots is-style-stripes is-style-rounded is-style-circle-mask " +
    "wp-block-cover__image-background").split(" "));
  var CLASSED = { CENTER: ["DIV", "has-text-align-center"], BIG: ["SPAN", "has-large-font-size"] };
  // Kept only when they carry one of those classes (otherwise unwrapped, or a paragraph).
  var HOLDERS = /^(DIV|SPAN)$/;
  // Dropped with everything inside them; any other unknown element is unwrapped.
  var DROPPED = new Set(("SCRIPT STYLE TEMPLATE IFRAME OBJECT EMBED NOSCRIPT SVG MATH HEAD " +
    "TITLE META LINK BASE TEXTAREA SELECT OPTION BUTTON INPUT FORM CANVAS " +
    "X-PASTED-STYLE").split(" "));
  var BLOCK_CHILD = /^(P|H[1-6]|UL|OL|BLOCKQUOTE|PRE|FIGURE|TABLE|DL|HR|DIV)$/;
  var URL_ATTRS = new Set(["href", "src", "cite"]);
  // Players Squire cannot edit: each becomes the address it plays, alone in a paragraph,
  // which the server makes a player again (lecko/embeds.py, lecko/players.py).
  var PLAYERS = new Set(["IFRAME", "AUDIO", "VIDEO"]);

  function playedAddress(node) {
    var sources = [node].concat(Array.prototype.slice.call(node.querySelectorAll("source")));
    for (var i = 0; i < sources.length; i++) {
      var src = (sources[i].getAttribute("src") || "").trim();
      if (src && isSafeUrl(src)) { return src; }
    }
    return "";
  }

  /* Relative addresses and http(s)/mailto only, read the way a browser reads them. */
  function isSafeUrl(value) {
    var cleaned = String(value).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "")
      .replace(/[\t\n\r]/g, "");
    var scheme = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/.exec(cleaned);
    return !scheme || ["http", "https", "mailto"].indexOf(scheme[1].toLowerCase()) !== -1;
  }

  /* An inert document: nothing in it runs or loads. It shares the page's CSP, which
     would report every <style>, style and on… attribute it parses (pasted text is full
     of them): they are renamed first, to be read as data or dropped. */
  var REPORTED_ATTRIBUTE = /(<[a-zA-Z][^>]*?[\s"'\/])(style|on[a-zA-Z]+)(?=\s*=)/g;
  function parseHTML(html) {
    var renamed = html;
    // Twice: a tag may hold both (one pass skips the second of two adjacent matches).
    for (var pass = 0; pass < 2; pass += 1) {
      renamed = renamed.replace(REPORTED_ATTRIBUTE, "$1data-pasted-$2");
    }
    renamed = renamed.replace(/<(\/?)style\b/gi, "<$1x-pasted-style");
    return new DOMParser().parseFromString("<!doctype html><body>" + renamed, "text/html").body;
  }

  /* The classes a pasted or loaded element keeps: its own known ones, then those its
     alignment style or align attribute means. */
  function declared(style, name) {
    var match = new RegExp("(?:^|;)\\s*" + name + "\\s*:\\s*([a-z]+)\\s*(?:!\\s*important\\s*)?(?=;|$)")
      .exec(style);
    return match ? match[1] : "";
  }

  function keptClasses(node, name) {
    var classes = (node.getAttribute("class") || "").split(/\s+/).filter(function (c) {
      return KEPT_CLASSES.has(c) || (name === "CODE" && /^language-[a-z0-9+#-]{1,30}$/.test(c));
    });
    var style = (node.getAttribute("data-pasted-style") || "").toLowerCase();
    var align = (node.getAttribute("align") || "").trim().toLowerCase();
    var float = declared(style, "float");
    var text = declared(style, "text-align");
    if (float === "left" || float === "right") {
      classes.push("align" + float);
    } else if (declared(style, "margin-left") === "auto" && declared(style, "margin-right") === "auto") {
      classes.push("aligncenter");
    }
    if (/^(left|right|center|justify)$/.test(text) && name !== "IMG") {
      classes.push("has-text-align-" + text);
    }
    if (/^(IMG|TABLE|FIGURE)$/.test(name) && /^(left|right|center)$/.test(align)) {
      classes.push("align" + align);
    } else if (!/^(IMG|TABLE|FIGURE)$/.test(name) && /^(left|right|center|justify)$/.test(align)) {
      classes.push("has-text-align-" + align);
    }
    if (CLASSED[node.nodeName]) { classes.push(CLASSED[node.nodeName][1]); }
    return classes.filter(function (c, i) { return classes.indexOf(c) === i; });
  }

  function hasBlockChild(el) {
    for (var child = el.firstElementChild; child; child = child.nextElementSibling) {
      if (BLOCK_CHILD.test(child.nodeName)) { return true; }
    }
    return false;
  }

  /* Copy allowed nodes of `source` into `target` (an element of this document). */
  function copyClean(source, target) {
    for (var node = source.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 3) {
        target.appendChild(document.createTextNode(node.data));
        continue;
      }
      if (node.nodeType !== 1) { continue; }
      var name = node.nodeName;
      if (PLAYERS.has(name)) {
        var address = playedAddress(node);
        if (address) { target.appendChild(document.createElement("P")).textContent = address; }
        continue;
      }
      if (DROPPED.has(name)) { continue; }
      // Word processors mark bold and italic with styles, which the CSP and the
      // allowlist both refuse: keep their meaning as tags instead.
      var style = node.getAttribute("data-pasted-style") || "";
      if ((name === "B" || name === "STRONG") && /font-weight\s*:\s*(normal|[1-4]00)/i.test(style)) {
        copyClean(node, target); // Google Docs wraps a whole paste in <b style="font-weight:normal">
        continue;
      }
      if (name === "SPAN" && style) {
        var inner = target;
        if (/font-weight\s*:\s*(bold|[6-9]00)/i.test(style)) {
          inner = inner.appendChild(document.createElement("STRONG"));
        }
        if (/font-style\s*:\s*italic/i.test(style)) {
          inner = inner.appendChild(document.createElement("EM"));
        }
        copyClean(node, inner);
        continue;
      }
      name = RENAMED[name] || (CLASSED[name] ? CLASSED[name][0] : name);
      var classes = keptClasses(node, name);
      if (name === "DIV" && !classes.length) { name = hasBlockChild(node) ? null : "P"; }
      if (!name || !(ALLOWED.has(name) || (HOLDERS.test(name) && classes.length))) {
        copyClean(node, target); // unwrap: keep the text, lose the element
        continue;
      }
      var el = document.createElement(name);
      if (classes.length) { el.setAttribute("class", classes.join(" ")); }
      (ATTRIBUTES[name] || []).forEach(function (attr) {
        var value = node.getAttribute(attr);
        if (value === null) { return; }
        if (URL_ATTRS.has(attr) && !isSafeUrl(value)) { return; }
        if (attr === "srcset" && !value.split(",").every(function (c) {
          return !c.trim() || isSafeUrl(c.trim().split(/\s+/)[0]);
        })) { return; }
        el.setAttribute(attr, value);
      });
      copyClean(node, el);
      target.appendChild(el);
    }
    return target;
  }

  /* Squire's hook: HTML from setHTML, insertHTML and paste becomes clean nodes. */
  function sanitizeToFragment(html) {
    return copyClean(parseHTML(html), document.createDocumentFragment());
  }

  /* A body typed without any tag (no JavaScript, or an old import): blank lines make
     paragraphs, as WordPress does, so the visual editor keeps them apart. */
  function paragraphs(source) {
    if (!source.trim() || /<(p|div|h[1-6]|ul|ol|blockquote|pre|table|figure|dl)\b/i.test(source)) {
      return source;
    }
    return source.trim().split(/\n\s*\n/).map(function (para) {
      return "<p>" + para.trim().replace(/\n/g, "<br>\n") + "</p>";
    }).join("\n");
  }

  /* ---- From the editor to the textarea: semantic tags, one block per line ------------ */

  var CONTAINERS = /^(UL|OL|BLOCKQUOTE|TABLE|THEAD|TBODY|TFOOT|TR|DL)$/;
  var EMPTY_DROPPABLE = /^(P|H[1-6]|LI|BLOCKQUOTE|UL|OL|FIGURE)$/;
  var BLOCKISH = /^(P|H[1-6]|LI|BLOCKQUOTE|PRE|FIGURE|FIGCAPTION|DIV|TD|TH|DT|DD|CAPTION)$/;

  function rename(root, from, to) {
    Array.prototype.forEach.call(root.querySelectorAll(from), function (old) {
      var el = old.ownerDocument.createElement(to);
      Array.prototype.forEach.call(old.attributes, function (a) { el.setAttribute(a.name, a.value); });
      while (old.firstChild) { el.appendChild(old.firstChild); }
      old.parentNode.replaceChild(el, old);
    });
  }

  function isBlankText(node) {
    return node && node.nodeType === 3 && !node.data.replace(/[\s\u200b]/g, "");
  }

  function lastMeaningful(node) {
    var child = node.lastChild;
    while (isBlankText(child)) { child = child.previousSibling; }
    return child;
  }

  function tidy(body) {
    rename(body, "b", "strong");
    rename(body, "i", "em");
    // Chromium makes a <div> for a new line in some spots: a paragraph by another name.
    // A <div> with a kept class (a button, a cover) stays.
    Array.prototype.forEach.call(body.querySelectorAll("div:not([class])"), function (div) {
      if (hasBlockChild(div)) {
        while (div.firstChild) { div.parentNode.insertBefore(div.firstChild, div); }
        div.remove();
      }
    });
    rename(body, "div:not([class])", "p");
    // Squire keeps a <br> at the end of blocks so the caret has somewhere to go.
    Array.prototype.forEach.call(body.querySelectorAll("br"), function (br) {
      var block = br.parentNode;
      while (block !== body && !BLOCKISH.test(block.nodeName) && lastMeaningful(block) === br) {
        br = block; block = block.parentNode;
      }
      if (BLOCKISH.test(block.nodeName) && lastMeaningful(block) === br) { br.remove(); }
    });
    var removed = true;
    while (removed) {
      removed = false;
      Array.prototype.forEach.call(body.querySelectorAll("*"), function (el) {
        if (EMPTY_DROPPABLE.test(el.nodeName) && !el.querySelector("img, hr") &&
            !el.textContent.replace(/[\s\u00a0\u200b]/g, "")) {
          el.remove();
          removed = true;
        }
      });
    }
    return body;
  }

  function onlyBlocks(el) {
    for (var node = el.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 3 && !isBlankText(node)) { return false; }
      if (node.nodeType === 1 && !/^(P|H[1-6]|UL|OL|LI|BLOCKQUOTE|PRE|FIGURE|TABLE|THEAD|TBODY|TFOOT|TR|TH|TD|CAPTION|DL|DT|DD|HR)$/.test(node.nodeName)) {
        return false;
      }
    }
    return true;
  }

  /* One block per line: readable in the HTML view and in the revision diffs. */
  function format(parent) {
    var parts = [];
    for (var node = parent.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 3) {
        if (!isBlankText(node)) {
          var holder = document.createElement("span");
          holder.textContent = node.data;
          parts.push(holder.innerHTML);
        }
      } else if (node.nodeType === 1) {
        if (CONTAINERS.test(node.nodeName) && onlyBlocks(node)) {
          var close = "</" + node.localName + ">";
          var shell = node.cloneNode(false).outerHTML;
          parts.push(shell.slice(0, -close.length) + "\n" + format(node) + "\n" + close);
        } else {
          parts.push(node.outerHTML);
        }
      }
    }
    return parts.join("\n");
  }

  function editorToSource(html) {
    return format(tidy(parseHTML(html.replace(/\u200b/g, ""))));
  }

  /* ---- Small DOM helpers --------------------------------------------------------------- */

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { el.textContent = attrs[key]; } else { el.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { el.appendChild(child); } });
    return el;
  }

  function svg(paths) {
    var el = document.createElementNS(SVG_NS, "svg");
    el.setAttribute("viewBox", "0 0 24 24");
    el.setAttribute("width", "20");
    el.setAttribute("height", "20");
    el.setAttribute("aria-hidden", "true");
    el.setAttribute("focusable", "false");
    el.setAttribute("class", "rte__icon");
    paths.forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      el.appendChild(path);
    });
    return el;
  }

  var ICONS = {
    link: ["M10 14a4.5 4.5 0 0 0 6.4 0l3.2-3.2a4.5 4.5 0 0 0-6.4-6.4L11.8 5.8",
      "M14 10a4.5 4.5 0 0 0-6.4 0l-3.2 3.2a4.5 4.5 0 0 0 6.4 6.4l1.4-1.4"],
    ul: ["M9 6h11M9 12h11M9 18h11", "M4 5.2v1.6M4 11.2v1.6M4 17.2v1.6"],
    ol: ["M10 6h10M10 12h10M10 18h10", "M4 4h1.5v4M3.5 8h3", "M3.5 11.5c.5-.8 2.8-.8 2.8.5 0 1-2.8 2-2.8 3h3",
      "M3.6 17.2c.6-.7 2.7-.6 2.7.5 0 .6-.7.9-1.5.9.8 0 1.6.3 1.6 1 0 1.2-2.3 1.3-2.9.5"],
    quote: ["M10 7H6.5C5.7 7 5 7.7 5 8.5V12h4v1c0 1.7-1 3-3 3.5", "M19 7h-3.5c-.8 0-1.5.7-1.5 1.5V12h4v1c0 1.7-1 3-3 3.5"],
    code: ["M8.5 7 3.5 12l5 5M15.5 7l5 5-5 5"],
    image: ["M4 5h16v14H4z", "M4 16l4.5-4.5 3.5 3.5 2.5-2.5 5.5 5.5", "M14.5 9.5h.01"],
    undo: ["M8.5 14.5 4 10l4.5-4.5", "M4 10h10.5a5.5 5.5 0 0 1 0 11H11"],
    redo: ["M15.5 14.5 20 10l-4.5-4.5", "M20 10H9.5a5.5 5.5 0 0 0 0 11H13"]
  };

  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  /* ---- The visual editor ---------------------------------------------------------------- */

  function VisualEditor(form, textarea) {
    this.form = form;
    this.textarea = textarea;
    this.changed = false; // the editor's HTML replaces the textarea's only once edited
    this.htmlMode = false;
    this.buttons = {};
    this.build();
  }

  VisualEditor.prototype.build = function () {
    var self = this;
    var textarea = this.textarea;
    var field = textarea.closest(".field") || textarea.parentNode;
    var label = field.querySelector("label[for='" + textarea.id + "']");
    if (label && !label.id) { label.id = textarea.id + "-label"; }

    this.surface = h("div", {
      "class": "rte__surface post__body",
      id: textarea.id + "-visual",
      role: "textbox",
      "aria-multiline": "true",
      spellcheck: "true",
      "data-placeholder": T.placeholder
    });
    if (label) { this.surface.setAttribute("aria-labelledby", label.id); }
    else { this.surface.setAttribute("aria-label", T.editorLabel); }
    var described = textarea.getAttribute("aria-describedby");
    if (described) { this.surface.setAttribute("aria-describedby", described); }
    if (textarea.getAttribute("aria-invalid")) { this.surface.setAttribute("aria-invalid", "true"); }

    this.toolbar = h("div", {
      "class": "rte__toolbar", role: "toolbar", "aria-label": T.toolbar,
      "aria-controls": this.surface.id
    });
    this.wrapper = h("div", { "class": "rte" }, [this.toolbar, this.surface]);
    textarea.parentNode.insertBefore(this.wrapper, textarea);
    this.wrapper.appendChild(textarea);
    textarea.hidden = true;
    textarea.classList.add("rte__source");

    this.editor = new window.Squire(this.surface, {
      blockTag: "P",
      sanitizeToDOMFragment: sanitizeToFragment,
      didError: function (error) { if (window.console) { console.warn(error); } }
    });
    this.buildToolbar();
    this.loadSource(textarea.value);

    var editor = this.editor;
    editor.addEventListener("input", function () {
      if (self.loading) { return; }
      // Squire reports any mutation, attributes included: only the text counts.
      var html = editor.getHTML();
      if (html === self.lastHTML) { return; }
      self.lastHTML = html;
      self.changed = true;
      self.syncSoon();
      self.form.dispatchEvent(new CustomEvent("lecko:change"));
    });
    ["pathChange", "select", "cursor"].forEach(function (type) {
      editor.addEventListener(type, function () { self.updateState(); });
    });
    editor.addEventListener("undoStateChange", function (event) {
      self.undoState = event.detail;
      self.setDisabled("undo", !event.detail.canUndo);
      self.setDisabled("redo", !event.detail.canRedo);
    });
    ["Ctrl-k", "Meta-k"].forEach(function (key) {
      editor.setKeyHandler(key, function (_editor, event) { event.preventDefault(); self.openLinkDialog(); });
    });
    // Alt+F10 goes to the toolbar, as in WordPress's classic editor.
    editor.setKeyHandler("Alt-F10", function (_editor, event) {
      event.preventDefault();
      self.focusToolbar();
    });
    // Squire's image resize handles are drawn with inline styles the CSP refuses, and
    // a resized image would not keep its size anyway: images take their size from CSS.
    this.surface.addEventListener("click", function (event) {
      if (event.target.nodeName === "IMG") { event.stopPropagation(); }
    });
    if (label) {
      label.addEventListener("click", function (event) {
        if (!self.htmlMode) { event.preventDefault(); editor.focus(); }
      });
    }
    textarea.addEventListener("input", function () {
      if (self.htmlMode) { self.form.dispatchEvent(new CustomEvent("lecko:change")); }
    });
    this.updateState();
  };

  VisualEditor.prototype.loadSource = function (source) {
    this.loading = true;
    this.editor.setHTML(paragraphs(source || ""));
    this.lastHTML = this.editor.getHTML();
    this.loading = false;
    this.undoState = { canUndo: false, canRedo: false };
    this.setDisabled("undo", true);
    this.setDisabled("redo", true);
  };

  VisualEditor.prototype.sync = function () {
    if (this.changed && !this.htmlMode) {
      this.textarea.value = editorToSource(this.editor.getHTML());
    }
  };

  VisualEditor.prototype.syncSoon = function () {
    var self = this;
    window.clearTimeout(this.syncTimer);
    this.syncTimer = window.setTimeout(function () { self.sync(); }, 300);
  };

  VisualEditor.prototype.source = function () {
    this.sync();
    return this.textarea.value;
  };

  /* ---- Toolbar ---- */

  VisualEditor.prototype.buildToolbar = function () {
    var self = this;
    var hasMedia = !!this.form.dataset.mediaUrl;
    var groups = [
      [["paragraph", "¶", null, "P"], ["h2", "H2", null, "H2"], ["h3", "H3", null, "H3"],
        ["h4", "H4", null, "H4"]],
      [["bold", "B", MOD + "B", "B"], ["italic", "I", MOD + "I", "I"],
        ["link", ICONS.link, MOD + "K", "A"]],
      [["ul", ICONS.ul, null, "UL"], ["ol", ICONS.ol, null, "OL"],
        ["quote", ICONS.quote, null, "BLOCKQUOTE"], ["code", ICONS.code, MOD + "D", "CODE"]],
      hasMedia ? [["image", ICONS.image, null, null]] : [],
      [["undo", ICONS.undo, MOD + "Z", null], ["redo", ICONS.redo, IS_MAC ? "⇧⌘Z" : "Ctrl+Y", null]],
      [["html", "HTML", null, null]]
    ];
    groups.forEach(function (group) {
      if (!group.length) { return; }
      var box = h("div", { "class": "rte__group", role: "group" });
      group.forEach(function (spec) {
        var name = spec[0];
        var title = T[name] + (spec[2] ? " (" + spec[2] + ")" : "");
        var button = h("button", {
          type: "button", "class": "rte__button rte__button--" + name,
          "aria-label": T[name], title: title, tabindex: "-1", "data-command": name
        });
        if (typeof spec[1] === "string") {
          button.appendChild(h("span", { "aria-hidden": "true", text: spec[1] }));
        } else {
          button.appendChild(svg(spec[1]));
        }
        if (spec[3] || name === "html") { button.setAttribute("aria-pressed", "false"); }
        if (spec[3]) { button.dataset.tag = spec[3]; }
        // Keep the caret in the text when clicking with a mouse.
        button.addEventListener("mousedown", function (event) { event.preventDefault(); });
        button.addEventListener("click", function () {
          if (button.getAttribute("aria-disabled") === "true") { return; }
          self.run(name);
        });
        self.buttons[name] = button;
        box.appendChild(button);
      });
      self.toolbar.appendChild(box);
    });
    this.toolbar.querySelector("button").setAttribute("tabindex", "0");
    this.toolbar.addEventListener("keydown", function (event) { self.onToolbarKey(event); });
    this.toolbar.addEventListener("focusin", function (event) {
      if (event.target.nodeName === "BUTTON") { self.rove(event.target); }
    });
  };

  VisualEditor.prototype.rove = function (button) {
    Array.prototype.forEach.call(this.toolbar.querySelectorAll("button"), function (b) {
      b.setAttribute("tabindex", b === button ? "0" : "-1");
    });
  };

  VisualEditor.prototype.focusToolbar = function () {
    var current = this.toolbar.querySelector("button[tabindex='0']");
    if (current) { current.focus(); }
  };

  /* Arrow keys move between buttons (one Tab stop for the whole toolbar); Escape goes
     back to the text. */
  VisualEditor.prototype.onToolbarKey = function (event) {
    var buttons = Array.prototype.slice.call(this.toolbar.querySelectorAll("button"));
    var index = buttons.indexOf(document.activeElement);
    if (index === -1) { return; }
    var next = null;
    if (event.key === "Enter") {
      // Act on keydown, or the Enter would follow the focus into the text as a new line.
      event.preventDefault();
      buttons[index].click();
      return;
    }
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { next = (index + 1) % buttons.length; }
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") { next = (index - 1 + buttons.length) % buttons.length; }
    else if (event.key === "Home") { next = 0; }
    else if (event.key === "End") { next = buttons.length - 1; }
    else if (event.key === "Escape") {
      event.preventDefault();
      if (this.htmlMode) { this.textarea.focus(); } else { this.editor.focus(); }
      return;
    }
    if (next !== null) {
      event.preventDefault();
      this.rove(buttons[next]);
      buttons[next].focus();
    }
  };

  VisualEditor.prototype.setDisabled = function (name, disabled) {
    var button = this.buttons[name];
    if (button) { button.setAttribute("aria-disabled", disabled ? "true" : "false"); }
  };

  VisualEditor.prototype.isActive = function (tag) {
    var path = this.editor.getPath();
    if (path === "(selection)") { return this.editor.hasFormat(tag); }
    return new RegExp("(^|>)" + tag + "(?=$|[>.#\\[])").test(path);
  };

  VisualEditor.prototype.blockTag = function () {
    var found = /(?:^|>)(H[1-6]|PRE)(?=$|[>.#\[])/.exec(this.editor.getPath());
    return found ? found[1] : "P";
  };

  VisualEditor.prototype.updateState = function () {
    if (this.htmlMode || !this.editor) { return; }
    var self = this;
    var block = this.blockTag();
    var inList = this.isActive("UL") || this.isActive("OL");
    Object.keys(this.buttons).forEach(function (name) {
      var button = self.buttons[name];
      var tag = button.dataset.tag;
      if (!tag) { return; }
      var active;
      if (tag === "P") { active = block === "P" && !inList; }
      else if (/^H\d$/.test(tag)) { active = block === tag; }
      else if (tag === "CODE") { active = block === "PRE" || self.isActive("CODE"); }
      else { active = self.isActive(tag); }
      button.setAttribute("aria-pressed", active ? "true" : "false");
    });
  };

  VisualEditor.prototype.run = function (name) {
    var editor = this.editor;
    if (name === "html") { this.toggleHTML(); return; }
    if (this.htmlMode) { return; }
    switch (name) {
      case "paragraph": this.setBlock("P"); break;
      case "h2": case "h3": case "h4": this.setBlock(name.toUpperCase()); break;
      case "bold": this.toggleInline("B"); break;
      case "italic": this.toggleInline("I"); break;
      case "link": this.openLinkDialog(); return;
      case "ul": case "ol":
        if (this.isActive(name.toUpperCase())) { editor.removeList(); }
        else if (name === "ul") { editor.makeUnorderedList(); }
        else { editor.makeOrderedList(); }
        break;
      case "quote":
        if (this.isActive("BLOCKQUOTE")) { editor.decreaseQuoteLevel(); }
        else { editor.increaseQuoteLevel(); }
        break;
      case "code": editor.toggleCode(); break;
      case "image": this.openImageDialog(); return;
      case "undo": editor.undo(); break;
      case "redo": editor.redo(); break;
    }
    editor.focus();
    this.updateState();
  };

  VisualEditor.prototype.toggleInline = function (tag) {
    if (this.editor.hasFormat(tag)) { this.editor.changeFormat(null, { tag: tag }); }
    else { this.editor.changeFormat({ tag: tag }); }
  };

  /* Paragraph or heading for the selected blocks; the same heading again goes back to a
     paragraph. Lists and code blocks are undone first: a heading lives on its own. */
  VisualEditor.prototype.setBlock = function (tag) {
    var editor = this.editor;
    var current = this.blockTag();
    var target = current === tag ? "P" : tag;
    if (current === "PRE") { editor.removeCode(); }
    if (this.isActive("UL") || this.isActive("OL")) { editor.removeList(); }
    if (editor.getPath() !== "(selection)" && this.blockTag() === target) { return; }
    editor.modifyBlocks(function (frag) {
      Array.prototype.forEach.call(frag.querySelectorAll("p, div, h1, h2, h3, h4, h5, h6"), function (block) {
        if (block.nodeName === target) { return; }
        var el = document.createElement(target);
        while (block.firstChild) { el.appendChild(block.firstChild); }
        block.parentNode.replaceChild(el, block);
      });
      return frag;
    });
  };

  VisualEditor.prototype.toggleHTML = function () {
    var button = this.buttons.html;
    if (!this.htmlMode) {
      this.sync();
      this.htmlMode = true;
      this.surface.hidden = true;
      this.textarea.hidden = false;
      this.wrapper.classList.add("rte--html");
      this.htmlAtSwitch = this.textarea.value;
      this.textarea.focus();
    } else {
      this.htmlMode = false;
      if (this.textarea.value !== this.htmlAtSwitch) {
        this.loadSource(this.textarea.value);
        this.changed = false; // the hand-written HTML stays as typed until the next edit
      }
      this.textarea.hidden = true;
      this.surface.hidden = false;
      this.wrapper.classList.remove("rte--html");
      this.editor.focus();
    }
    button.setAttribute("aria-pressed", this.htmlMode ? "true" : "false");
    var self = this;
    Object.keys(this.buttons).forEach(function (name) {
      if (name !== "html") {
        self.setDisabled(name, self.htmlMode);
      }
    });
    if (!this.htmlMode) {
      this.setDisabled("undo", !this.undoState.canUndo);
      this.setDisabled("redo", !this.undoState.canRedo);
      this.updateState();
    }
  };

  /* ---- Dialogs ---- */

  VisualEditor.prototype.dialog = function (titleText, className) {
    var titleId = nextId("rte-dialog-title");
    var dialog = h("dialog", { "class": "rte-dialog " + className, "aria-labelledby": titleId }, [
      h("h2", { id: titleId, "class": "rte-dialog__title", text: titleText })
    ]);
    dialog.addEventListener("close", function () { dialog.remove(); });
    document.body.appendChild(dialog);
    return dialog;
  };

  VisualEditor.prototype.openLinkDialog = function () {
    var self = this;
    var editor = this.editor;
    var range = editor.getSelection();
    var anchor = null;
    var node = range.startContainer;
    while (node && node !== this.surface) {
      if (node.nodeName === "A") { anchor = node; break; }
      node = node.parentNode;
    }
    var dialog = this.dialog(T.linkTitle, "rte-dialog--link");
    var inputId = nextId("rte-link");
    var input = h("input", {
      id: inputId, type: "text", inputmode: "url", autocomplete: "off", spellcheck: "false",
      "aria-describedby": inputId + "-help " + inputId + "-error"
    });
    input.value = anchor ? anchor.getAttribute("href") || "" : "";
    var error = h("p", { id: inputId + "-error", "class": "field__error", "aria-live": "assertive" });
    error.hidden = true;
    var form = h("form", { "class": "rte-dialog__form", method: "dialog" }, [
      h("div", { "class": "field" }, [
        h("label", { "for": inputId, text: T.linkUrl }),
        input,
        h("p", { id: inputId + "-help", "class": "field__help", text: T.linkHelp }),
        error
      ])
    ]);
    var actions = h("div", { "class": "rte-dialog__actions" }, [
      h("button", { type: "submit", "class": "button", text: T.apply })
    ]);
    if (anchor) {
      var remove = h("button", { type: "button", "class": "button button--secondary", text: T.removeLink });
      remove.addEventListener("click", function () {
        dialog.close();
        editor.focus();
        if (range.collapsed) { range.selectNode(anchor); }
        editor.setSelection(range);
        editor.removeLink();
        self.updateState();
      });
      actions.appendChild(remove);
    }
    var cancel = h("button", { type: "button", "class": "link-button", text: T.cancel });
    cancel.addEventListener("click", function () { dialog.close(); editor.focus(); });
    actions.appendChild(cancel);
    form.appendChild(actions);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = normalizeUrl(input.value);
      var problem = !url ? T.linkEmpty : !isSafeUrl(url) ? T.linkBad : "";
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      dialog.close();
      editor.focus();
      editor.setSelection(range);
      if (anchor && range.collapsed) {
        range.selectNode(anchor);
        editor.setSelection(range);
      }
      editor.makeLink(url);
      self.updateState();
    });
    dialog.appendChild(form);
    dialog.showModal();
    input.focus();
    input.select();
  };

  /* "example.org/page" means https://example.org/page, "name@example.org" a mail
     address; other text is kept as typed (relative addresses such as /2024/05/slug/), and
     javascript: and its friends are refused by isSafeUrl. */
  function normalizeUrl(value) {
    var url = value.trim();
    if (/^www\.|^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?[/?#]|^[a-z0-9-]+(\.[a-z0-9-]+)*\.(fr|com|org|net|eu|io|be|ch|ca|de|uk|info)$/i.test(url)) {
      return "https://" + url;
    }
    if (/^[^\s/:@]+@[^\s/:@]+\.[a-z]{2,}$/i.test(url)) { return "mailto:" + url; }
    return url;
  }

  VisualEditor.prototype.openImageDialog = function () {
    var self = this;
    var editor = this.editor;
    var range = editor.getSelection();
    var dialog = this.dialog(T.imageTitle, "rte-dialog--image");
    var status = h("p", { "class": "rte-dialog__status", role: "status", text: T.imageLoading });
    var grid = h("ul", { "class": "media-choices" });
    var altId = nextId("rte-alt");
    var alt = h("input", { id: altId, type: "text", "aria-describedby": altId + "-help" });
    var altField = h("div", { "class": "field" }, [
      h("label", { "for": altId, text: T.imageAlt }), alt,
      h("p", { id: altId + "-help", "class": "field__help", text: T.imageAltHelp })
    ]);
    var error = h("p", { "class": "field__error", "aria-live": "assertive" });
    error.hidden = true;
    var insert = h("button", { type: "submit", "class": "button", text: T.insert });
    var cancel = h("button", { type: "button", "class": "link-button", text: T.cancel });
    var form = h("form", { "class": "rte-dialog__form", method: "dialog" }, [
      status, grid, altField, error,
      h("div", { "class": "rte-dialog__actions" }, [insert, cancel])
    ]);
    var chosen = null;
    cancel.addEventListener("click", function () { dialog.close(); editor.focus(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!chosen) {
        error.textContent = T.imageChoose;
        error.hidden = false;
        return;
      }
      dialog.close();
      editor.focus();
      editor.setSelection(range);
      self.insertImage(chosen, alt.value.trim());
    });
    dialog.appendChild(form);
    dialog.showModal();
    cancel.focus();

    fetch(this.form.dataset.mediaUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || !/json/.test(response.headers.get("content-type") || "")) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        var items = (data && data.items) || [];
        status.textContent = items.length ? "" : T.imageEmpty;
        status.hidden = !!items.length;
        items.forEach(function (item) {
          if (!isSafeUrl(item.url)) { return; }
          var thumb = h("img", { src: item.url, alt: "", loading: "lazy", decoding: "async" });
          if (item.srcset) { thumb.setAttribute("srcset", item.srcset); thumb.setAttribute("sizes", "10rem"); }
          if (item.width && item.height) {
            thumb.setAttribute("width", item.width);
            thumb.setAttribute("height", item.height);
          }
          var name = item.title || item.alt || item.url.split("/").pop();
          var choice = h("button", {
            type: "button", "class": "media-choice", "aria-pressed": "false",
            "data-media-id": item.id
          }, [thumb, h("span", { "class": "media-choice__name", text: name })]);
          choice.addEventListener("click", function () {
            Array.prototype.forEach.call(grid.querySelectorAll(".media-choice"), function (b) {
              b.setAttribute("aria-pressed", b === choice ? "true" : "false");
            });
            chosen = item;
            alt.value = item.alt || "";
            error.hidden = true;
          });
          choice.addEventListener("dblclick", function () { form.requestSubmit(insert); });
          grid.appendChild(h("li", {}, [choice]));
        });
        var first = grid.querySelector(".media-choice");
        if (first) { first.focus(); }
      })
      .catch(function () {
        status.textContent = T.imageFailed;
        status.hidden = false;
      });
  };

  VisualEditor.prototype.insertImage = function (item, altText) {
    var img = document.createElement("img");
    img.setAttribute("src", item.url);
    img.setAttribute("alt", altText);
    ["width", "height", "srcset", "sizes"].forEach(function (attr) {
      if (item[attr]) { img.setAttribute(attr, item[attr]); }
    });
    if (item.srcset && !item.sizes) { img.setAttribute("sizes", "(min-width: 60em) 44rem, 100vw"); }
    var figure = document.createElement("figure");
    figure.appendChild(img);
    this.editor.insertElement(figure);
  };

  /* ---- Autosave and leaving the page ---------------------------------------------------- */

  function Autosave(form, visual) {
    this.form = form;
    this.visual = visual;
    this.status = form.querySelector(".autosave-status");
    this.dirty = false;
    this.saving = false;
    this.submitting = false;
    this.stale = false;
    this.timer = null;
    this.inflight = null;
    var self = this;
    form.addEventListener("lecko:change", function () { self.changed(); });
    ["title", "excerpt"].forEach(function (name) {
      var field = form.elements[name];
      if (field) { field.addEventListener("input", function () { self.changed(); }); }
    });
    if (!visual) {
      var body = form.elements.body_source;
      if (body) { body.addEventListener("input", function () { self.changed(); }); }
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && self.dirty && !self.submitting) { self.save(true); }
    });
    // Back from the history cache after a save: the form is live again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { self.submitting = false; }
    });
    window.addEventListener("beforeunload", function (event) {
      if (self.dirty && !self.submitting) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  Autosave.prototype.changed = function () {
    this.dirty = true;
    if (this.status && !this.saving && !this.stale) { this.show(T.unsaved, "unsaved"); }
    this.schedule(AUTOSAVE_DELAY);
  };

  Autosave.prototype.schedule = function (delay) {
    var self = this;
    if (this.timer || this.submitting || this.stale) { return; }
    this.timer = window.setTimeout(function () { self.timer = null; self.save(false); }, delay);
  };

  Autosave.prototype.show = function (text, state) {
    if (!this.status) { return; }
    this.status.textContent = text;
    this.status.dataset.state = state;
  };

  Autosave.prototype.value = function (name) {
    var field = this.form.elements[name];
    return field ? field.value : "";
  };

  Autosave.prototype.save = function (leaving) {
    var self = this;
    var form = this.form;
    if (this.saving || this.stale || !this.dirty || !form.dataset.autosaveUrl) { return; }
    var body = this.visual ? this.visual.source() : this.value("body_source");
    var title = this.value("title");
    // Nothing typed yet: no empty draft.
    if (!form.dataset.postId && !title.trim() && !body.trim()) { this.dirty = false; return; }
    var data = new FormData();
    data.append("csrf_token", this.value("csrf_token"));
    data.append("post_id", form.dataset.postId || "");
    data.append("type", form.dataset.postType || "post");
    data.append("title", title);
    data.append("body_source", body);
    data.append("excerpt", this.value("excerpt"));
    // The save this page opened: an autosave arriving after a later save is dropped.
    data.append("base_revision", this.value("base_revision"));
    this.dirty = false;
    this.saving = true;
    this.show(T.saving, "saving");
    // keepalive lets the request finish when the tab closes, within the browser's 64 KB.
    var keepalive = leaving && body.length + title.length < 60000;
    this.inflight = fetch(form.dataset.autosaveUrl, {
      method: "POST", body: data, credentials: "same-origin", keepalive: keepalive,
      headers: { Accept: "application/json" }
    }).then(function (response) {
      var json = /json/.test(response.headers.get("content-type") || "");
      if ((response.ok || response.status === 409) && json) { return response.json(); }
      var error = new Error("HTTP " + response.status);
      error.status = response.ok || response.redirected ? 401 : response.status;
      throw error;
    }).then(function (answer) {
      self.saving = false;
      if (answer.stale) { self.outdated(); return; }
      self.saved(answer);
      if (self.dirty) { self.schedule(AUTOSAVE_DELAY); }
    }).catch(function (error) {
      self.saving = false;
      self.dirty = true;
      self.failed(error.status);
    }).then(function () {
      self.inflight = null;
    });
  };

  /* The form is being sent: no more autosaves, no warning when the page goes. */
  Autosave.prototype.stop = function () {
    this.submitting = true;
    window.clearTimeout(this.timer);
    this.timer = null;
  };

  Autosave.prototype.saved = function (answer) {
    var form = this.form;
    var isNew = !form.dataset.postId;
    form.dataset.postId = String(answer.post_id);
    if (isNew && answer.edit_url) {
      form.setAttribute("action", answer.edit_url);
      var base = form.elements.base_revision;
      if (base) { base.value = String(answer.base_revision); }
      // The Preview button previews this draft from now on.
      Array.prototype.forEach.call(form.querySelectorAll("[formaction]"), function (button) {
        var target = new URL(button.getAttribute("formaction"), window.location.href);
        if (target.searchParams.has("post_id")) {
          target.searchParams.set("post_id", String(answer.post_id));
          button.setAttribute("formaction", target.pathname + target.search);
        }
      });
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", answer.edit_url);
      }
    }
    var when = new Date(answer.saved_at);
    if (isNaN(when.getTime())) { when = new Date(); }
    var time = when.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
    this.show(T.savedAt.replace("{time}", time), "saved");
  };

  /* A save newer than this page's text exists (another tab): stop autosaving; leaving
     still warns, and saving keeps the text as a colliding revision to compare. */
  Autosave.prototype.outdated = function () {
    this.stale = true;
    this.dirty = true;
    this.show(T.stale, "error");
  };

  Autosave.prototype.failed = function (status) {
    if (status === 401 || status === 400) {
      this.show(T.expired, "error");
    } else if (status === 403) {
      this.show(T.forbidden, "error");
    } else if (status) {
      this.show(T.failedStatus.replace("{status}", status), "error");
      window.clearTimeout(this.timer);
      this.timer = null;
      this.schedule(RETRY_DELAY);
    } else {
      this.show(T.failed, "error");
      window.clearTimeout(this.timer);
      this.timer = null;
      this.schedule(RETRY_DELAY);
    }
  };

  /* ---- Start ---------------------------------------------------------------------------- */

  function start(form) {
    var textarea = form.querySelector("textarea[data-editor='visual']");
    var visual = null;
    if (textarea && typeof window.Squire === "function") {
      try {
        visual = new VisualEditor(form, textarea);
      } catch (error) {
        // Better the plain textarea than no way to write at all.
        if (window.console) { console.warn("Lecko editor:", error); }
        visual = null;
        textarea.hidden = false;
      }
    }
    var autosave = new Autosave(form, visual);
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      // Preview opens another tab: this page stays, with its unsaved changes.
      var preview = submitter && submitter.getAttribute("formtarget") === "_blank";
      if (!preview && autosave.inflight && !form.dataset.postId) {
        // The first autosave is creating this article: save into it, not into a twin.
        event.preventDefault();
        autosave.inflight.then(function () { form.requestSubmit(submitter || undefined); });
        return;
      }
      if (visual) { visual.sync(); }
      if (!preview) { autosave.stop(); }
    });
    form.addEventListener("formdata", function (event) {
      if (visual) { event.formData.set("body_source", visual.source()); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.editor-form"), start);
})();
