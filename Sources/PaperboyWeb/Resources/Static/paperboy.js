// Progressive enhancement: upvote without leaving the page. Without this script the vote
// forms post and redirect back, which works the same.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-vote")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
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
});
