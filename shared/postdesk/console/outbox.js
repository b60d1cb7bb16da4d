// The local stack's outbox: every mail the desk sent (SES keeps them there instead of sending).

import { api } from "./api.js";
import { byId, el } from "./dom.js";
import { when } from "./format.js";
import { showView } from "./page.js";

function outboxItem(mail) {
  return el(
    "li",
    { className: "message kind-outbox" },
    el(
      "p",
      { className: "meta" },
      el("strong", {}, mail.subject || "(no subject)"),
      ` · to ${mail.to.join(", ")} · ${when(mail.date)}`,
      mail.automatic !== "no" ? ` · automatic (${mail.automatic})` : "",
    ),
    el("pre", { className: "message-body" }, mail.text || ""),
  );
}

export async function showOutbox() {
  showView("outbox-view");
  document.title = "Outbox · Postdesk";
  const page = await api("outbox");
  byId("outbox-mails").replaceChildren(...page.mails.map(outboxItem));
  byId("outbox-empty").hidden = page.mails.length > 0;
}
