// What the desk knows that seldom changes (its agents, saved replies, queues and categories): read
// once per sign-in.

import { ApiError, api } from "./api.js";

// Each list read so far, by its path.
const known = new Map();

// Reference data that cannot be read leaves the lists empty (the page still works); only a sign-in
// that expired stops it.
async function readList(path, field) {
  try {
    return (await api(path))[field] || [];
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return [];
  }
}

async function readOnce(path, field = path) {
  if (!known.has(path)) known.set(path, await readList(path, field));
  return known.get(path);
}

export async function agents() {
  return readOnce("agents");
}

// The desk's queues (GET /queues: those its triage rules route to and its SLA policy times).
export async function queues() {
  return readOnce("queues");
}

// The categories a ticket can have (GET /categories: triage's taxonomy).
export async function categories() {
  return readOnce("categories");
}

// The desk's addresses, the main one first (GET /mailboxes: each with its brand name and queue).
export async function mailboxes() {
  return readOnce("mailboxes");
}

export async function savedReplies() {
  return readOnce("saved-replies", "saved_replies");
}

export function savedReply(id) {
  return (known.get("saved-replies") || []).find((reply) => reply.id === id) || null;
}

// After a saved reply was written or deleted: the reply box reads them again.
export function forgetSavedReplies() {
  known.delete("saved-replies");
}

export function forgetDirectory() {
  known.clear();
}
