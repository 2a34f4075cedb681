/* The union catalogue's search page: suggestions under the search box and
   facet checkboxes that apply themselves when clicked with a pointer.
   Everything works without this file: the form is a plain GET form, each
   facet has its own "Apply" button. */
(function () {
  "use strict";

  /* Facets: a click with the mouse or a finger applies at once; the keyboard
     ticks several values and presses "Apply" (no change of page while the
     reader is still choosing). */
  document.documentElement.classList.add("js");
  document.querySelectorAll("form.facet-form").forEach(function (form) {
    form.addEventListener("click", function (event) {
      var box = event.target;
      if (box.type === "checkbox" && event.detail > 0) {
        form.submit();
      }
    });
    form.addEventListener("change", function () {
      form.classList.add("changed");    /* shows its "Apply" button */
    });
  });

  /* Suggestions: the ARIA 1.2 combobox pattern. Arrow keys move through the
     list, Enter takes the highlighted suggestion and searches, Escape closes. */
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch) {
    return;
  }
  var url = input.getAttribute("data-suggest");
  var list = document.createElement("ul");
  list.id = input.id + "-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", input.getAttribute("data-suggest-label") || "");
  list.hidden = true;
  input.parentNode.insertBefore(list, input.nextSibling);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  var timer = null, asked = "", active = -1, controller = null;

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    var all = options();
    if (!all.length) {
      return;
    }
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[active].id);
  }

  function choose(text) {
    input.value = text;
    close();
    input.form.submit();
  }

  function show(words) {
    list.textContent = "";
    active = -1;
    words.forEach(function (text, i) {
      var option = document.createElement("li");
      option.id = list.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.textContent = text;
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();     /* keep the focus in the box */
        choose(text);
      });
      list.appendChild(option);
    });
    list.hidden = !words.length;
    input.setAttribute("aria-expanded", words.length ? "true" : "false");
  }

  function ask() {
    var prefix = input.value.trim();
    if (prefix.length < 2 || prefix === asked) {
      if (prefix.length < 2) {
        close();
      }
      return;
    }
    asked = prefix;
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(prefix),
          {headers: {Accept: "application/json"}, signal: controller && controller.signal})
      .then(function (response) { return response.ok ? response.json() : [prefix, []]; })
      .then(function (answer) {
        if (input.value.trim() === prefix && document.activeElement === input) {
          show(answer[1] || []);
        }
      })
      .catch(function () { /* no suggestions: the box still searches */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 180);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) {
        asked = "";
        ask();
        return;
      }
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      choose(options()[active].textContent);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () {
    window.setTimeout(close, 100);
  });
}());
