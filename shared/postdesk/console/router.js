// Which view the address asks for (url-state.js), shown once the agent is signed in.

import { showAgents } from "./agents.js";
import { showAudit } from "./audit.js";
import { showKnowledge } from "./knowledge.js";
import { showList } from "./list.js";
import { showNewTicket } from "./new-ticket.js";
import { showNotifications } from "./notifications.js";
import { showOutbox } from "./outbox.js";
import { flash, takeMessageForView } from "./page.js";
import { showReports } from "./reports.js";
import { showSavedReplies } from "./saved-replies.js";
import { ensureSignedIn, reportError } from "./session.js";
import { showSignature } from "./signature.js";
import { showTicket } from "./ticket.js";
import { showTokens } from "./tokens.js";
import { showTwoStep } from "./two-step.js";
import { currentPage, locationChanged } from "./url-state.js";
import { showWebhooks } from "./webhooks.js";

async function route() {
  flash("");
  const message = takeMessageForView();
  if (!(await ensureSignedIn())) return;
  const page = currentPage();
  if (page.name === "ticket") await showTicket(page.ref);
  else if (page.name === "outbox") await showOutbox();
  else if (page.name === "reports") await showReports();
  else if (page.name === "signature") await showSignature();
  else if (page.name === "notifications") await showNotifications();
  else if (page.name === "saved-replies") await showSavedReplies(page.id);
  else if (page.name === "knowledge") await showKnowledge(page.slug, page.language);
  else if (page.name === "new-ticket") await showNewTicket();
  else if (page.name === "webhooks") await showWebhooks();
  else if (page.name === "agents") await showAgents();
  else if (page.name === "tokens") await showTokens();
  else if (page.name === "audit") await showAudit();
  else if (page.name === "two-step") await showTwoStep();
  else await showList();
  // Once the view is shown (showing it clears the line).
  if (message.message) flash(message.message, { done: message.done });
}

// Show what the address says now (at start, and after signing in).
export function showAddress() {
  locationChanged();
  route().catch(reportError);
}

export function startRouting() {
  // A link, Back or Forward: one move can fire both events; it is shown once.
  const onMove = () => {
    if (locationChanged()) route().catch(reportError);
  };
  window.addEventListener("popstate", onMove);
  window.addEventListener("hashchange", onMove);
  showAddress();
}
