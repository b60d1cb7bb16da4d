// "Attach files" for a mail the agent writes (the reply box, the new-ticket form): each file goes
// from the browser straight to the mail bucket with a presigned POST (POST /attachments hands out
// the form), and the mail then names it by its id. The desk's limits (GET /attachments/limits) are
// said beside the button and checked before anything is uploaded: a file over them, a program or a
// script is refused in words and never sent to S3. What a file is by its content is checked again
// when the mail goes (the API's 400 names the file).
//
// attachmentBox(container, name) builds the control in `container` and answers
//   { ids(), problem(), clear(), hasFiles(), markRefused(message) }
// ids(): the uploaded files' ids, in the order they were added; problem(): words when the mail
// cannot go yet (a file still uploading, one that failed or that the desk refused), else null.
// markRefused(message): the desk refused the mail for a file it names (the API's 400 starts with the
// file's name): that file is marked in the list, to be removed before the mail can go.

import { api } from "./api.js";
import { el } from "./dom.js";
import { fileSize } from "./format.js";

let limitsAsked = null;

// Asked once per page: the limits are the deployment's.
function limits() {
  if (!limitsAsked) {
    limitsAsked = api("attachments/limits").catch((error) => {
      limitsAsked = null;
      throw error;
    });
  }
  return limitsAsked;
}

// Two sizes side by side, in bytes when the short form would make them look alike ("10 MB" over "10 MB").
function sizes(size, limit) {
  const [said, most] = [fileSize(size), fileSize(limit)];
  return said === most ? [`${size.toLocaleString("en")} bytes`, `${limit.toLocaleString("en")} bytes`] : [said, most];
}

function extensionOf(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

// The upload itself: XMLHttpRequest, because fetch() says nothing of an upload's progress.
function postForm(form, file, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
    data.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", form.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(`the file store answered ${request.status}`));
    });
    request.addEventListener("error", () => reject(new Error("the file store could not be reached")));
    request.addEventListener("abort", () => reject(new Error("the upload was stopped")));
    request.send(data);
    form.abort = () => request.abort();
  });
}

export function attachmentBox(container, name) {
  // Each entry: { file, size, id, state: "uploading" | "done" | "failed" | "refused", progress, reason, row, form }
  const entries = [];
  let known = null;

  const input = el("input", { type: "file", id: `${name}-files`, className: "visually-hidden", multiple: true });
  const button = el("label", { for: `${name}-files`, className: "button attach-button" }, "Attach files");
  const hint = el("span", { id: `${name}-files-hint`, className: "hint" }, "");
  input.setAttribute("aria-describedby", `${name}-files-hint`);
  const list = el("ul", { className: "upload-list", "aria-label": "Attached files" });
  const refused = el("p", { className: "error", role: "alert", hidden: true });
  const status = el("p", { className: "visually-hidden", role: "status", "aria-live": "polite" });
  container.classList.add("attach-box");
  container.replaceChildren(el("div", { className: "attach-row" }, input, button, hint), refused, list, status);

  function say(words) {
    status.textContent = words;
  }

  function showLimits() {
    if (!known) return;
    hint.textContent =
      `Up to ${known.max_files} files, ${fileSize(known.max_file_bytes)} each, ` +
      `${fileSize(known.max_mail_bytes)} in all. Drop files here too. Programs and scripts are not sent.`;
  }

  // Read once the agent is signed in (the box is set up before): when it is first cleared for a
  // ticket or a new form, or at the first file.
  async function load() {
    if (known) return;
    try {
      known = await limits();
      showLimits();
    } catch {
      hint.textContent = "The desk's file limits could not be read; they are checked when you attach.";
    }
  }

  function total() {
    return entries.reduce((sum, entry) => sum + entry.size, 0);
  }

  function stateWords(entry) {
    if (entry.state === "uploading") return `Uploading… ${Math.round(entry.progress * 100)}%`;
    if (entry.state === "done") return "Attached";
    if (entry.state === "refused") return "Refused by the desk: remove it to send";
    return `Not uploaded: ${entry.reason}`;
  }

  function draw(entry) {
    const remove = el(
      "button",
      { type: "button", className: "quiet remove-upload", "aria-label": `Remove ${entry.file.name}` },
      "Remove",
    );
    remove.addEventListener("click", () => removeEntry(entry));
    const progress =
      entry.state === "uploading"
        ? el("progress", { max: "100", value: String(Math.round(entry.progress * 100)), "aria-label": `${entry.file.name} uploaded` })
        : null;
    const row = el(
      "li",
      { className: `upload upload-${entry.state}` },
      el("span", { className: "upload-name" }, entry.file.name),
      el("span", { className: "upload-size" }, fileSize(entry.size)),
      el("span", { className: "upload-state" }, stateWords(entry)),
      progress,
      remove,
    );
    if (entry.row) entry.row.replaceWith(row);
    else list.append(row);
    entry.row = row;
  }

  function removeEntry(entry) {
    const index = entries.indexOf(entry);
    if (index < 0) return;
    entries.splice(index, 1);
    if (entry.form && entry.form.abort && entry.state === "uploading") entry.form.abort();
    entry.state = "removed";
    entry.row.remove();
    say(`${entry.file.name} removed.`);
    input.focus();
  }

  // Words for why `file` cannot join the mail, or null.
  function refusal(file, allowedExtensions) {
    if (file.size === 0) return `${file.name} is empty.`;
    if (!known) return null;
    if (entries.length >= known.max_files) return `${file.name}: a mail carries at most ${known.max_files} files.`;
    if (file.size > known.max_file_bytes) {
      const [said, most] = sizes(file.size, known.max_file_bytes);
      return `${file.name} is ${said}: files may be at most ${most}.`;
    }
    if (total() + file.size > known.max_mail_bytes) {
      const [said, most] = sizes(total() + file.size, known.max_mail_bytes);
      return `${file.name} would bring the mail to ${said}: at most ${most} in all.`;
    }
    if (!allowedExtensions.has(extensionOf(file.name))) {
      return `${file.name}: the desk does not send this kind of file (images, PDF, office documents, text, audio, video and ZIP archives are).`;
    }
    return null;
  }

  async function upload(entry) {
    try {
      entry.form = await api("attachments", {
        method: "POST",
        body: { filename: entry.file.name, size: entry.file.size, content_type: entry.file.type || "application/octet-stream" },
      });
      if (entry.state === "removed") return;
      await postForm(entry.form, entry.file, (share) => {
        entry.progress = share;
        if (entry.state === "uploading") draw(entry);
      });
      if (entry.state === "removed") return;
      entry.id = entry.form.id;
      entry.state = "done";
      say(`${entry.file.name} attached.`);
    } catch (error) {
      if (entry.state === "removed") return;
      entry.state = "failed";
      entry.reason = error.message || String(error);
      say(`${entry.file.name} was not uploaded: ${entry.reason}`);
    }
    draw(entry);
  }

  async function add(files) {
    // Unknown limits (the desk did not answer): the API checks them when each file is announced.
    await load();
    const allowedExtensions = new Set(known ? known.extensions : []);
    const reasons = [];
    for (const file of files) {
      const reason = refusal(file, allowedExtensions);
      if (reason) {
        reasons.push(reason);
        continue;
      }
      const entry = { file, size: file.size, id: null, state: "uploading", progress: 0, reason: "", row: null, form: null };
      entries.push(entry);
      draw(entry);
      upload(entry);
    }
    refused.hidden = reasons.length === 0;
    refused.textContent = reasons.join(" ");
  }

  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    add(files);
  });
  // Files dropped anywhere on the box (the form around it) join the mail.
  const zone = container.closest("form") || container;
  zone.addEventListener("dragover", (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    zone.classList.add("dropping");
  });
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dropping");
  });
  zone.addEventListener("drop", (event) => {
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    zone.classList.remove("dropping");
    add([...event.dataTransfer.files]);
  });

  return {
    ids: () => entries.filter((entry) => entry.state === "done").map((entry) => entry.id),
    hasFiles: () => entries.length > 0,
    markRefused(message) {
      const named = entries.filter((entry) => entry.state === "done" && (message || "").includes(entry.file.name));
      // The longest name that fits: "a.pdf" is not taken for the refused "data.pdf".
      const longest = Math.max(0, ...named.map((entry) => entry.file.name.length));
      for (const entry of named.filter((one) => one.file.name.length === longest)) {
        entry.state = "refused";
        entry.reason = message;
        draw(entry);
        say(`${entry.file.name} was refused by the desk.`);
      }
      return longest > 0;
    },
    problem() {
      if (entries.some((entry) => entry.state === "uploading")) return "Wait until the files have uploaded.";
      if (entries.some((entry) => entry.state === "refused")) return "Remove the file the desk refused (marked in the list) to send.";
      if (entries.some((entry) => entry.state === "failed")) return "Remove the files that did not upload, or attach them again.";
      return null;
    },
    clear() {
      load();
      for (const entry of [...entries]) {
        if (entry.form && entry.form.abort && entry.state === "uploading") entry.form.abort();
        entry.state = "removed";
      }
      entries.length = 0;
      list.replaceChildren();
      refused.hidden = true;
      refused.textContent = "";
    },
  };
}
