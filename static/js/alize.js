/* The main menu.
 * - Its sections are disclosure buttons (aria-expanded): a click, Enter or Space opens one
 *   and closes the others; Escape, a click elsewhere or the focus leaving the section closes
 *   it (Escape gives the focus back to its button).
 * - On narrow screens the whole menu folds behind one button.
 * Without this script every section's links show under their heading and the menu stays
 * open: nothing is out of reach. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function sections() {
    return Array.prototype.slice.call(document.querySelectorAll(".topbar .menu-button"));
  }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function closeAll(except) {
    sections().forEach(function (button) {
      if (button !== except) {
        setOpen(button, false);
      }
    });
  }

  function openSection() {
    return sections().filter(function (button) {
      return button.getAttribute("aria-expanded") === "true";
    })[0];
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".menu-toggle");
    var topbar = document.querySelector(".topbar");

    sections().forEach(function (button) {
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        closeAll(button);
        setOpen(button, open);
      });
      var section = button.parentNode;
      var list = document.getElementById(button.getAttribute("aria-controls"));
      section.addEventListener("focusout", function (event) {
        // A drop-down closes when the focus leaves it; on a phone the sections unfold in
        // the page's flow and stay open (closing one would move the next under the finger).
        var dropdown = list && window.getComputedStyle(list).position === "absolute";
        if (dropdown && event.relatedTarget && !section.contains(event.relatedTarget)) {
          setOpen(button, false);
        }
      });
    });

    document.addEventListener("click", function (event) {
      if (!event.target.closest || !event.target.closest(".menu-section")) {
        closeAll(null);
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      var open = openSection();
      if (open) {
        setOpen(open, false);
        open.focus();
      } else if (toggle && topbar && topbar.classList.contains("menu-open")) {
        toggle.setAttribute("aria-expanded", "false");
        topbar.classList.remove("menu-open");
        toggle.focus();
      }
    });

    if (!toggle || !topbar) {
      return;
    }
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      topbar.classList.toggle("menu-open", open);
    });
  });
})();
