// The "Away" toggle in the header: an agent who is away (holiday, sick, a day of training) gets no
// tickets from automatic assignment (PUT /me/away); tickets already theirs stay theirs. The button
// is pressed while they are away; an absence an admin gave an end to shows that end.

import { api } from "./api.js";
import { byId } from "./dom.js";
import { when } from "./format.js";
import { flash } from "./page.js";

let wired = false;

function show(agent) {
  const button = byId("away-toggle");
  const away = Boolean(agent && agent.away && (!agent.away_until || new Date(agent.away_until) > new Date()));
  button.setAttribute("aria-pressed", String(away));
  button.title = away
    ? `You are away${agent.away_until ? ` until ${when(agent.away_until)}` : ""}: no tickets are assigned to you automatically. Press to come back.`
    : "Press when you are away: automatic assignment then passes you over.";
}

// Shows the signed-in agent's state (GET /me) and makes the button work.
export function showAvailability(agent) {
  show(agent);
  if (wired) return;
  wired = true;
  const button = byId("away-toggle");
  button.addEventListener("click", async () => {
    const away = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    try {
      const now = await api("me/away", { method: "PUT", body: { away } });
      show(now);
      flash(away ? "You are away: no tickets are assigned to you automatically." : "Welcome back: tickets are assigned to you again.", {
        done: true,
      });
    } catch (error) {
      flash(error.message);
    } finally {
      button.disabled = false;
    }
  });
}
