// The Postdesk agent console: plain browser JavaScript in ES modules, no build step (docs/console.md).
// Everything that comes from the API reaches the page as text (textContent, attribute values, see
// dom.js), never as markup; a customer's original HTML is shown only inside a sandboxed frame.
//
// This module only wires the others together; each view lives in its own module.

import { setUpAgents } from "./agents.js";
import { setUpAudit } from "./audit.js";
import { setUpBell } from "./bell.js";
import { setUpKnowledge } from "./knowledge.js";
import { setUpList } from "./list.js";
import { setUpNewTicket } from "./new-ticket.js";
import { setUpNotifications } from "./notifications.js";
import { setUpReports } from "./reports.js";
import { setUpAccountMenu } from "./page.js";
import { showAddress, startRouting } from "./router.js";
import { setUpSavedReplies } from "./saved-replies.js";
import { setUpSession } from "./session.js";
import { setUpShortcuts } from "./shortcuts.js";
import { setUpSignature } from "./signature.js";
import { setUpTicket } from "./ticket.js";
import { setUpTokens } from "./tokens.js";
import { setUpTwoStep } from "./two-step.js";
import { setUpWebhooks } from "./webhooks.js";

setUpSession(showAddress);
setUpBell();
setUpAccountMenu();
setUpList();
setUpTicket();
setUpReports();
setUpSignature();
setUpNotifications();
setUpSavedReplies();
setUpKnowledge();
setUpNewTicket();
setUpWebhooks();
setUpAgents();
setUpTokens();
setUpAudit();
setUpTwoStep();
// After the views: they register their keys first, so the list of shortcuts shows them in order.
setUpShortcuts();
startRouting();
// Every module loaded and set up: load-check.js no longer says the console could not load.
document.documentElement.dataset.console = "ready";
document.getElementById("console-load-failure").hidden = true;
