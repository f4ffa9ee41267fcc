// Paperboy's only script. Every page works without it: forms post and redirect back. With it,
// votes and library changes happen in place, the theme can be switched, the submit form shows
// progress, and the header search suggests papers as you type.
(() => {
  // The theme: "light" or "dark" chosen with the toggle, otherwise the system's. This file is
  // loaded in <head> without defer so the choice applies before the first paint.
  const root = document.documentElement;
  const themes = ["system", "light", "dark"];
  const stored = () => { try { return localStorage.getItem("paperboy-theme") || "system"; } catch { return "system"; } };
  const applyTheme = (theme) => {
    if (theme === "system") root.removeAttribute("data-theme"); else root.setAttribute("data-theme", theme);
  };
  applyTheme(stored());

  const labelToggle = (button) => {
    const theme = stored();
    const names = { system: "follows the system", light: "light", dark: "dark" };
    button.setAttribute("aria-label", `Colour theme: ${names[theme]}. Switch`);
    button.textContent = theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐";
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("[data-theme-toggle]")) {
      button.hidden = false;
      labelToggle(button);
      button.addEventListener("click", () => {
        const next = themes[(themes.indexOf(stored()) + 1) % themes.length];
        try { localStorage.setItem("paperboy-theme", next); } catch {}
        applyTheme(next);
        labelToggle(button);
      });
    }
    for (const input of document.querySelectorAll("input[data-suggest]")) suggest(input);
  });

  const post = (form) => fetch(form.action, {
    method: "POST",
    headers: { "Accept": "application/json" },
    body: new URLSearchParams(new FormData(form)),
    credentials: "same-origin",
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.hasAttribute("data-vote")) {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const response = await post(form);
        if (!response.ok) { form.submit(); return; }
        const state = await response.json();
        form.querySelector("[data-count]").textContent = String(state.upvotes);
        form.querySelector("input[name=on]").value = state.upvoted ? "0" : "1";
        button.setAttribute("aria-pressed", state.upvoted ? "true" : "false");
        button.title = state.upvoted ? "Remove your upvote" : "Upvote";
      } catch (error) {
        form.submit();
      } finally {
        button.disabled = false;
      }
    } else if (form.hasAttribute("data-library-form")) {
      // Save, tags and "not interested": post, then take this paper's controls from the page the
      // server redirects to, so the buttons show the new state without a reload.
      event.preventDefault();
      const box = form.closest("[data-library]");
      for (const button of box.querySelectorAll("button")) button.disabled = true;
      try {
        const response = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" });
        if (!response.ok) { form.submit(); return; }
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.querySelector(`[data-library="${CSS.escape(box.dataset.library)}"]`);
        if (fresh) box.replaceWith(document.importNode(fresh, true)); else form.submit();
      } catch (error) {
        form.submit();
      }
    } else if (form.hasAttribute("data-progress")) {
      // A submission can wait on arXiv for a few seconds: say so, and do not send it twice.
      const button = form.querySelector("button[type=submit]");
      if (button.disabled) { event.preventDefault(); return; }
      button.disabled = true;
      const status = form.querySelector("[data-progress-text]");
      if (status) status.textContent = form.dataset.progress;
    }
  });

  // Suggestions under the header search: a few matching papers by title, as links.
  function suggest(input) {
    const list = document.createElement("ul");
    list.className = "suggestions";
    list.hidden = true;
    list.id = "search-suggestions";
    list.setAttribute("aria-label", "Suggested papers");
    input.after(list);
    input.setAttribute("aria-controls", list.id);
    let timer = 0;
    let latest = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 3) { list.hidden = true; return; }
      timer = setTimeout(async () => {
        const ticket = ++latest;
        try {
          const response = await fetch(`/api/papers/search?q=${encodeURIComponent(query)}&limit=6`, { headers: { "Accept": "application/json" } });
          if (!response.ok || ticket !== latest) return;
          const results = await response.json();
          list.replaceChildren(...results.slice(0, 6).map((result) => {
            const paper = result.paper || result;
            const item = document.createElement("li");
            const link = document.createElement("a");
            link.href = `/papers/${encodeURIComponent(paper.id).replace("%2F", "/")}`;
            link.textContent = paper.title;
            item.append(link);
            return item;
          }));
          list.hidden = results.length === 0;
        } catch (error) {
          list.hidden = true;
        }
      }, 200);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") list.hidden = true;
      if (event.key === "ArrowDown" && !list.hidden) { event.preventDefault(); list.querySelector("a")?.focus(); }
    });
    list.addEventListener("keydown", (event) => {
      const links = [...list.querySelectorAll("a")];
      const index = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown") { event.preventDefault(); links[Math.min(index + 1, links.length - 1)]?.focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (index <= 0 ? input : links[index - 1]).focus(); }
      if (event.key === "Escape") { list.hidden = true; input.focus(); }
    });
    document.addEventListener("click", (event) => { if (!list.contains(event.target) && event.target !== input) list.hidden = true; });
  }
})();
