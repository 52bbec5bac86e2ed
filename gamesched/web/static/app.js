// gamesched dashboard: local times (and the browser's zone told to the server), date-time pickers in the viewer's zone, mention suggestions, one submit per form,
// "Go back" on error pages, failed htmx actions shown in place, focus kept across live updates. Everything is here, not inline: the pages' policy allows no inline script.
(function () {
  "use strict";

  var FORMATS = {
    full: { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" },
    date: { weekday: "short", day: "numeric", month: "short", year: "numeric" },
    time: { hour: "2-digit", minute: "2-digit" },
    short: { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" },
  };

  function localTimes(root) {
    root.querySelectorAll("time[datetime][data-style]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var options = FORMATS[el.dataset.style] || FORMATS.full;
      el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
      el.title = when.toUTCString();
    });
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  // The browser's zone, for the server to show times in until the person picks one on /settings.
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }
  if (browserZone && document.cookie.indexOf("tz=" + encodeURIComponent(browserZone)) === -1) {
    document.cookie = "tz=" + encodeURIComponent(browserZone) + "; path=/; max-age=31536000; samesite=lax";
  }

  // The wall-clock parts of instant `ms` in `zone` (an IANA name), as a UTC millisecond count.
  function wallMs(ms, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    return Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  }

  // "2026-11-28T20:00" read in `zone` → the instant (twice, so a DST change between guess and answer counts).
  function fromWall(value, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) return null;
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var guess = wall - (wallMs(wall, zone) - wall);
    guess = wall - (wallMs(guess, zone) - guess);
    return new Date(guess);
  }

  function toWall(d, zone) {
    var w = new Date(wallMs(d.getTime(), zone));
    return w.getUTCFullYear() + "-" + pad(w.getUTCMonth() + 1) + "-" + pad(w.getUTCDate()) +
      "T" + pad(w.getUTCHours()) + ":" + pad(w.getUTCMinutes());
  }

  // <input type=datetime-local> speaks wall-clock time: in the page's zone (data-zone, the person's choice)
  // or else the browser's; the server wants UTC (hidden field).
  function pickers(root) {
    root.querySelectorAll("input[data-utc-field]").forEach(function (local) {
      var form = local.form;
      var hidden = form && form.elements[local.dataset.utcField];
      if (!hidden || local.dataset.ready) return;
      local.dataset.ready = "1";
      var zone = local.dataset.zone || "";
      if (hidden.value) {
        var d = new Date(hidden.value);
        if (!isNaN(d)) {
          local.value = zone ? toWall(d, zone) : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" +
            pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
        }
      }
      function sync() {
        var d = !local.value ? null : zone ? fromWall(local.value, zone) : new Date(local.value);
        hidden.value = d && !isNaN(d) ? d.toISOString() : "";
      }
      local.addEventListener("input", sync);
      local.addEventListener("change", sync);
      form.addEventListener("submit", sync);
      var hint = form.querySelector("[data-tz-hint]");
      if (hint && !zone) {
        hint.textContent = "In your local time" + (browserZone ? " (" + browserZone + ")" : "") + ".";
      }
    });
  }

  // A second click while the first submit is on its way does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once") || form.hasAttribute("hx-post")) return;
    if (form.dataset.submitting) { event.preventDefault(); return; }
    form.dataset.submitting = "1";
    // Disable after the browser has collected the fields (a disabled submitter would not be sent).
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
      });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return; // back/forward cache: make the forms usable again
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button[disabled][aria-busy]").forEach(function (b) { b.disabled = false; });
    });
  });

  // "Copy link": the named field's text to the clipboard (selected instead where the clipboard is refused).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var told = document.getElementById(button.getAttribute("aria-describedby") || "");
    function say(text) { if (told) told.textContent = text; }
    field.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(function () { say("Copied."); },
        function () { say("Selected: press Ctrl+C (⌘C) to copy."); });
    } else {
      say("Selected: press Ctrl+C (⌘C) to copy.");
    }
  });

  // Clicking a suggestion replaces the mention it fixes, in the field it belongs to.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-replace]");
    if (!button) return;
    var field = document.getElementById(button.dataset.field) ||
      (button.form && button.form.querySelector("input[name=mention]"));
    if (!field) return;
    var wrong = button.dataset.replace, right = button.dataset.with;
    if (field.tagName === "TEXTAREA") {
      var lines = field.value.split(/\r?\n/);
      var i = lines.findIndex(function (l) { return l.trim() === wrong; });
      if (i >= 0) lines[i] = right; else lines.push(right);
      field.value = lines.join("\n");
    } else {
      field.value = right;
    }
    field.removeAttribute("aria-invalid");
    var item = button.closest("li");
    if (item) item.classList.add("fixed");
    button.closest(".suggestions").querySelectorAll("button").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    field.focus();
  });

  // Menus in the header close on Escape and when clicking elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      d.open = false;
      d.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      if (!d.contains(event.target)) d.open = false;
    });
  });

  // "Go back" on error pages: a button, since the page policy runs no javascript: URLs.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-go-back]")) history.back();
  });

  // An htmx action that fails (not allowed, the database out of reach, an expired form, the server gone)
  // says why in place, next to what was clicked, instead of seemingly doing nothing: htmx swaps only 2xx
  // answers. The reason is the error page's own title and sentence. A container names where its
  // actions' errors go with data-errors-in="#id"; anything else gets a slot right after the element.
  function errorSlot(elt, create) {
    var holder = elt.closest && elt.closest("[data-errors-in]");
    var slot = holder && holder.querySelector(holder.dataset.errorsIn);
    if (slot) return slot;
    var next = elt.nextElementSibling;
    if (next && next.classList.contains("action-error-slot")) return next;
    if (!create) return null;
    slot = document.createElement("div");
    slot.className = "action-error-slot";
    elt.insertAdjacentElement("afterend", slot);
    return slot;
  }
  function showError(elt, title, message) {
    var slot = errorSlot(elt, true);
    var box = document.createElement("div");
    box.className = "action-error";
    box.setAttribute("role", "alert");
    var heading = document.createElement("h2");
    heading.textContent = title;
    var text = document.createElement("p");
    text.textContent = message;
    box.append(heading, text);
    slot.replaceChildren(box);
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var slot = errorSlot(event.detail.elt, false);
    if (slot) slot.replaceChildren();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var title = "That did not work", message = "Something went wrong (" + xhr.status + "). Try again in a moment.";
    var type = xhr.getResponseHeader("content-type") || "";
    if (/^text\/html/.test(type)) {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var h1 = page.querySelector(".error-page h1"), p = page.querySelector(".error-page .error-message");
      if (h1) title = h1.textContent.trim();
      if (p) message = p.textContent.trim();
    } else if (/json/.test(type)) {
      try { message = JSON.parse(xhr.responseText).message || message; } catch (e) { /* keep the sentence */ }
    }
    showError(event.detail.elt, title, message);
  });
  document.addEventListener("htmx:sendError", function (event) {
    showError(event.detail.elt, "No connection",
      "gamesched could not be reached. Check your connection and try again.");
  });

  // The game panel is swapped by the viewer's own action (Join, Leave) and by live updates ("changed"
  // re-reads the panel). Their requests run side by side and their answers can arrive in either order: an
  // answer rendered before the one already shown (an older data-revision, the game's last change) is
  // dropped, so a page never goes back to a state from before what it shows. Both kinds of answer fill
  // the stable #game-live, never an element an earlier answer may have replaced.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.shouldSwap || !detail.target || detail.target.id !== "game-live") return;
    var shown = document.getElementById("game");
    var answer = /data-revision="(\d+)"/.exec(detail.serverResponse || "");
    if (shown && answer && Number(answer[1]) < Number(shown.dataset.revision)) detail.shouldSwap = false;
  });

  // A live update (someone else joined) swaps the game panel: keep the keyboard focus where it was. htmx
  // moves focus back to an element with the same id; a button the action disabled (hx-disabled-elt) has
  // already lost it by then, so the focused id is noted when the request starts. When the element has no
  // id (or is gone), focus goes to the swapped-in part rather than dropping to <body>. The notes belong to
  // the request (its xhr): a live refresh starting while one's own Join is on its way (the live event can
  // come before the answer) finds the focus lost to the disabled button, and must not wipe the Join's note.
  function focusInside(target) {
    var active = document.activeElement;
    return active && active !== document.body && target && target.contains(active) ? active : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = focusInside(event.detail.target);
    if (active && active.id) event.detail.xhr.gsFocusedId = active.id;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.shouldSwap) return;
    var xhr = event.detail.xhr, active = focusInside(event.detail.target);
    if (active && active.id) xhr.gsFocusedId = active.id;
    // the part to focus when the element had no id: what was swapped (the panel, for its container)
    var swapped = event.detail.target.id === "game-live" ? "game" : event.detail.target.id;
    xhr.gsFocusWasIn = active || xhr.gsFocusedId ? swapped : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr) return;
    var id = xhr.gsFocusedId, container = xhr.gsFocusWasIn;
    if (document.activeElement && document.activeElement !== document.body) return;
    var again = (id && document.getElementById(id)) || (container && document.getElementById(container));
    if (!again) return;
    if (again.id === container && !again.hasAttribute("tabindex")) again.setAttribute("tabindex", "-1");
    again.focus({ preventScroll: true });
  });

  // Text areas grow with their content: CSS field-sizing where the browser has it, this otherwise.
  var sizesItself = window.CSS && CSS.supports && CSS.supports("field-sizing", "content");
  function fit(area) {
    area.style.height = "auto";
    area.style.height = area.scrollHeight + 2 + "px";
  }
  function growingAreas(root) {
    if (sizesItself) return;
    root.querySelectorAll("textarea").forEach(function (area) {
      if (area.dataset.grows) return;
      area.dataset.grows = "1";
      fit(area);
      area.addEventListener("input", function () { fit(area); });
    });
  }

  // The error summary after a failed submit: focused on load, its links focus the field they name.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    var field = target.matches("input, select, textarea, button") ? target : target.querySelector("input, select, textarea");
    if (!field) return;
    event.preventDefault();
    var closed = field.closest("details:not([open])");
    if (closed) closed.open = true;
    field.focus();
    field.scrollIntoView({ block: "center" });
  });

  function init(root) {
    localTimes(root);
    pickers(root);
    growingAreas(root);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    init(document);
    if (window.htmx) window.htmx.onLoad(function (el) { init(el); });
  });
})();
